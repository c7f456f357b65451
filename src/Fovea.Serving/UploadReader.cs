using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Fovea.Serving;

/// <summary>
/// The pictures of a request, as <c>/predict</c> and <c>/explain</c> take them: the multipart form field <c>file</c>
/// (one or more) or the raw body, decoded to the model's input. Bad input is answered here with 4xx and
/// <c>{"error": "..."}</c> (counted in the metrics): 400 for an empty body, a malformed form or a file that is not a
/// picture (or claims more pixels than it can hold), 413 for a body over the limit.
/// </summary>
internal sealed class UploadReader(ServedModel model, ServingMetrics metrics, long maxBodyBytes)
{
    /// <summary>What a raw body is called in an answer's <c>file</c>.</summary>
    public const string BodyName = "body";

    private const string FormField = "file";

    /// <summary>One uploaded file: its name (from the form, else <see cref="BodyName"/>) and its bytes.</summary>
    private sealed record Upload(string Name, byte[] Bytes);

    /// <summary>The names and decoded pictures (height x width x channels bytes each) of the request, or null when
    /// the request was refused (the answer is written).</summary>
    public async Task<(string[] Names, byte[][] Images)?> ReadAsync(HttpContext context)
    {
        byte[]? body = await ReadBodyAsync(context);
        if (body is null)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large",
                $"request body is over {maxBodyBytes:N0} bytes; send a smaller picture");
            return null;
        }
        if (body.Length == 0)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request",
                $"the request has no picture: send it as the body or as the multipart form field '{FormField}'");
            return null;
        }

        List<Upload> uploads;
        try
        {
            uploads = IsMultipart(context.Request, out string? boundary) ? await ReadFormAsync(body, boundary!, context.RequestAborted) : [new Upload(BodyName, body)];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"malformed multipart body: {e.Message}");
            return null;
        }
        if (uploads.Count == 0)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"the multipart form has no field '{FormField}' with a picture");
            return null;
        }

        var images = new byte[uploads.Count][];
        for (int i = 0; i < uploads.Count; i++)
        {
            if (uploads[i].Bytes.Length == 0)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"{uploads[i].Name}: the file is empty");
                return null;
            }
            try
            {
                images[i] = UploadDecoder.Decode(uploads[i].Bytes, uploads[i].Name, model.Height, model.Width, model.ColorMode);
            }
            catch (FoveaException e)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_image", e.Message);
                return null;
            }
        }
        return (uploads.Select(u => u.Name).ToArray(), images);
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

    private async Task RefuseAsync(HttpContext context, int statusCode, string reason, string message)
    {
        metrics.Error(reason);
        await PredictionJson.WriteErrorAsync(context.Response, statusCode, message);
    }
}
