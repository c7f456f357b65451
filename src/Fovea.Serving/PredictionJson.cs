using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Fovea.Serving;

/// <summary>The response bodies: predictions in the shape <c>fovea predict --json</c> prints, and <c>{"error": "..."}</c>.</summary>
internal static class PredictionJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One picture's top classes, most probable first.</summary>
    public sealed record Result(string File, IReadOnlyList<(string Label, float Probability)> Top);

    /// <summary><c>[{"file": "...", "predictions": [{"label": "...", "probability": 0.9}, ...]}, ...]</c></summary>
    public static Task WritePredictionsAsync(HttpResponse response, IReadOnlyList<Result> results)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartArray();
            foreach (Result result in results)
            {
                json.WriteStartObject();
                json.WriteString("file", result.File);
                WritePredictions(json, result.Top);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return WriteAsync(response, StatusCodes.Status200OK, buffer.WrittenMemory);
    }

    // "predictions": [{"label": "...", "probability": 0.9}, ...]: the server's and fovea predict --json's.
    internal static void WritePredictions(Utf8JsonWriter json, IReadOnlyList<(string Label, float Probability)> top)
    {
        json.WriteStartArray("predictions");
        foreach (var (label, probability) in top)
        {
            json.WriteStartObject();
            json.WriteString("label", label);
            json.WriteNumber("probability", probability);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary><c>{"error": "..."}</c> with <paramref name="statusCode"/>.</summary>
    public static Task WriteErrorAsync(HttpResponse response, int statusCode, string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("error", message.ReplaceLineEndings(" ").Trim());
            json.WriteEndObject();
        }
        return WriteAsync(response, statusCode, buffer.WrittenMemory);
    }

    /// <summary>The <paramref name="top"/> most probable classes, ties in class order, as <c>fovea predict</c> ranks them.</summary>
    public static (string Label, float Probability)[] Best(ReadOnlySpan<float> probabilities, IReadOnlyList<string> classNames, int top)
    {
        float[] values = probabilities.ToArray();
        return Enumerable.Range(0, values.Length).OrderByDescending(c => values[c]).ThenBy(c => c).Take(top)
            .Select(c => (classNames[c], values[c])).ToArray();
    }

    private static async Task WriteAsync(HttpResponse response, int statusCode, ReadOnlyMemory<byte> body)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body);
    }
}
