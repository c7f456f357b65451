using Fovea.Visualization;
using Microsoft.AspNetCore.Http;

namespace Fovea.Serving;

/// <summary>
/// <c>POST /explain[?class=NAME][&amp;layer=NAME]</c>: one picture, taken as <c>/predict</c> takes it (the multipart
/// form field <c>file</c> or the raw body, the same size limit); answers the PNG <c>fovea explain</c> writes: the
/// picture, its Grad-CAM heatmap over it with the legend, and the top classes. The class explained is the predicted
/// one unless <c>class</c> names another; the layer the last convolutional one unless <c>layer</c> names another.
/// Bad input is answered with 4xx and <c>{"error": "..."}</c>: 400 for an unknown class or layer, more than one
/// picture or anything <c>/predict</c> refuses; 503 with <c>Retry-After</c> when the queue is full.
/// </summary>
internal sealed class ExplainEndpoint(ServedModel model, InferenceBatcher batcher, ServingMetrics metrics, UploadReader uploads)
{
    private const int Top = 3;

    public async Task HandleAsync(HttpContext context)
    {
        if (!TryReadRequest(context.Request.Query, out var request, out string? error))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", error!);
            return;
        }
        if (await uploads.ReadAsync(context) is not { } read) return;
        var (names, images) = read;
        if (images.Length != 1)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"explain takes one picture; got {images.Length}");
            return;
        }
        if (!batcher.TryEnqueueExplanation(images[0], request, out var pending))
        {
            context.Response.Headers.RetryAfter = "1";
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "queue_full", "the server is busy: its queue is full; retry shortly");
            return;
        }
        ServedExplanation explanation = await pending.WaitAsync(context.RequestAborted);

        string title = $"{names[0]}: Grad-CAM of '{model.ClassNames[explanation.ClassIndex]}' at {explanation.Layer}";
        byte[] png = GradCamPicture.Draw(images[0], model.Height, model.Width, model.InputShape[2], explanation.Heatmap, title,
            PredictionJson.Best(explanation.Probabilities, model.ClassNames, Math.Min(Top, model.ClassNames.Count)));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "image/png";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = png.Length;
        await context.Response.Body.WriteAsync(png, context.RequestAborted);
    }

    /// <summary>The class (by name) and layer the query names, each checked against the model.</summary>
    private bool TryReadRequest(IQueryCollection query, out ExplanationRequest request, out string? error)
    {
        request = new ExplanationRequest(null, null);
        error = null;
        string? className = query["class"], layer = query["layer"];
        int? classIndex = null;
        if (!string.IsNullOrEmpty(className))
        {
            int found = model.ClassNames.ToList().IndexOf(className);
            if (found < 0)
            {
                error = $"class '{className}' is not one of the model's classes: {string.Join(", ", model.ClassNames)}";
                return false;
            }
            classIndex = found;
        }
        if (string.IsNullOrEmpty(layer)) layer = null;
        else if (!model.ExplainableLayers.Contains(layer))
        {
            error = $"layer '{layer}' is not a convolutional layer of the model; Grad-CAM can weigh: {string.Join(", ", model.ExplainableLayers)}";
            return false;
        }
        request = new ExplanationRequest(classIndex, layer);
        return true;
    }

    private async Task RefuseAsync(HttpContext context, int statusCode, string reason, string message)
    {
        metrics.Error(reason);
        await PredictionJson.WriteErrorAsync(context.Response, statusCode, message);
    }
}
