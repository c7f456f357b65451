using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Fovea.Serving;

/// <summary>
/// <c>POST /predict[?top=k]</c>: an image as the multipart form field <c>file</c> (one or more) or as the raw body;
/// answers the top classes of each, as <c>fovea predict --json</c> prints them. Bad input is answered with 4xx and
/// <c>{"error": "..."}</c>: 400 for a bad <c>top</c>, an empty body or a file that is not a picture (or claims more
/// pixels than it can hold), 413 for a body over the limit, 503 with <c>Retry-After</c> when the queue is full.
/// </summary>
internal sealed class PredictEndpoint(ServedModel model, InferenceBatcher batcher, ServingMetrics metrics, UploadReader uploads)
{
    /// <summary>Classes answered when the request does not say.</summary>
    public const int DefaultTop = 3;

    /// <summary>What a raw body is called in the answer's <c>file</c>.</summary>
    public const string BodyName = UploadReader.BodyName;

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!TryParseTop(request.Query["top"], out int top, out string? topError))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", topError);
            return;
        }

        if (await uploads.ReadAsync(context) is not { } read) return;
        var (names, images) = read;

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
            results[i] = new PredictionJson.Result(names[i], PredictionJson.Best(probabilities[i], model.ClassNames, top));
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

    private async Task RefuseAsync(HttpContext context, int statusCode, string reason, string? message)
    {
        metrics.Error(reason);
        await PredictionJson.WriteErrorAsync(context.Response, statusCode, message ?? reason);
    }
}
