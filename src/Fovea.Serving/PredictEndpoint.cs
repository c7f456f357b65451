using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Fovea.Serving;

/// <summary>
/// <c>POST /predict[?top=k]</c>: an image as the multipart form field <c>file</c> (one or more) or as the raw body;
/// answers the top classes of each, as <c>fovea predict --json</c> prints them. Bad input is answered with 4xx and
/// <c>{"error": "..."}</c>: 400 for a bad <c>top</c>, an empty body or a file that is not a picture (or claims more
/// pixels than it can hold), 413 for a body over the limit, 503 with <c>Retry-After</c> when the queue is full.
/// </summary>
internal sealed class PredictEndpoint(ServedModel model, InferenceBatcher batcher, ServingMetrics metrics, long maxBodyBytes)
{
    /// <summary>Classes answered when the request does not say.</summary>
    public const int DefaultTop = 3;

    /// <summary>What a raw body is called in the answer's <c>file</c>.</summary>
    public const string BodyName = "body";

    private const string FormField = "file";

    /// <summary>One uploaded file: its name (from the form, else <see cref="BodyName"/>) and its bytes.</summary>
    private sealed record Upload(string Name, byte[] Bytes);

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!TryParseTop(request.Query["top"], out int top, out string? topError))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", topError);
            return;
        }

        byte[]? body = await ReadBodyAsync(context);
        if (body is null)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large",
                $"request body is over {maxBodyBytes:N0} bytes; send a smaller picture");
            return;
        }
        if (body.Length == 0)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request",
                $"the request has no picture: send it as the body or as the multipart form field '{FormField}'");
            return;
        }

        List<Upload> uploads;
        try
        {
            uploads = IsMultipart(request, out string? boundary) ? await ReadFormAsync(body, boundary!, context.RequestAborted) : [new Upload(BodyName, body)];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"malformed multipart body: {e.Message}");
            return;
        }
        if (uploads.Count == 0)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"the multipart form has no field '{FormField}' with a picture");
            return;
        }

        var images = new byte[uploads.Count][];
        for (int i = 0; i < uploads.Count; i++)
        {
            if (uploads[i].Bytes.Length == 0)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"{uploads[i].Name}: the file is empty");
                return;
            }
            try
            {
                images[i] = UploadDecoder.Decode(uploads[i].Bytes, uploads[i].Name, model.Height, model.Width, model.ColorMode);
            }
            catch (FoveaException e)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_image", e.Message);
                return;
            }
        }

        var pending = new Task<float[]>[images.Length];
        for (int i = 0; i < images.Length; i++)
        {
            if (!batcher.TryEnqueue(images[i], out pending[i]))
            {
                context.Response.Headers.RetryAfter = "1";
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "queue_full", "the server is busy: its queue is full; retry shortly");
                return;
            }
        }

        float[][] probabilities = await Task.WhenAll(pending).WaitAsync(context.RequestAborted);
        var results = new PredictionJson.Result[images.Length];
        for (int i = 0; i < images.Length; i++)
            results[i] = new PredictionJson.Result(uploads[i].Name, PredictionJson.Best(probabilities[i], model.ClassNames, top));
        await PredictionJson.WritePredictionsAsync(context.Response, results);
    }

    private bool TryParseTop(string? text, out int top, out string? error)
    {
        int classes = model.ClassNames.Count;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            top = Math.Min(DefaultTop, classes);
            return true;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out top))
            error = $"top must be a whole number; got '{text}'";
        else if (top < 1 || top > classes)
            error = $"top must be between 1 and the model's {classes} classes; got {top}";
        return error is null;
    }

    /// <summary>The whole body, or null when it is over the limit (by its Content-Length, or as it arrives).</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        long? declared = context.Request.ContentLength;
        if (declared > maxBodyBytes) return null;
        var buffer = new MemoryStream(declared is long length ? (int)length : 64 * 1024);
        byte[] chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBodyBytes) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // Kestrel's own limit, the same number, caught a chunked body first
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    private static bool IsMultipart(HttpRequest request, out string? boundary)
    {
        boundary = null;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return false;
        boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new InvalidDataException("multipart/form-data without a boundary");
        return true;
    }

    /// <summary>
    /// The <c>file</c> fields of a multipart body already in memory. Parsed here rather than with ReadFormAsync, which
    /// spools files over 64 KB to temporary files on disk.
    /// </summary>
    private static async Task<List<Upload>> ReadFormAsync(byte[] body, string boundary, CancellationToken cancellationToken)
    {
        var uploads = new List<Upload>();
        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value != FormField)
                continue;
            string? fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            using var content = new MemoryStream();
            await section.Body.CopyToAsync(content, cancellationToken);
            uploads.Add(new Upload(string.IsNullOrEmpty(fileName) ? FormField : Path.GetFileName(fileName), content.ToArray()));
        }
        return uploads;
    }

    private async Task RefuseAsync(HttpContext context, int statusCode, string reason, string? message)
    {
        metrics.Error(reason);
        await PredictionJson.WriteErrorAsync(context.Response, statusCode, message ?? reason);
    }
}
