using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fovea.Data;
using Fovea.Imaging;
using Fovea.Models;
using Fovea.Serving;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea predict</c>: classifies the user's own pictures with a saved model, named by the class names the model file
/// holds. Each picture is centre-cropped and resized to the model's input, grey or RGB as the model takes; all are
/// predicted in one pass. A picture that cannot be read is reported and
/// skipped, the others are still predicted, and the exit code is then 2.
/// </summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly Argument<string[]> Images = new("IMAGE") { Description = "Pictures to classify: PNG, JPEG, BMP, GIF or WebP, any size", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<int> Top = new("--top") { Description = "Classes shown per picture, most probable first", DefaultValueFactory = _ => 3 };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON array: per picture its file and predictions, or its error" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };

    private static readonly JsonWriterOptions JsonOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var command = new Command("predict", "Classify pictures with a saved model") { Model, Images, Top, Json, Threads };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse)));
        return command;
    }

    /// <summary>One picture's outcome: its top classes, or why it could not be read.</summary>
    private sealed record Outcome(string File, IReadOnlyList<(string Label, float Probability)>? Top, string? Error);

    private static int Run(ParseResult parse)
    {
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        int top = parse.GetValue(Top);
        if (top < 1) throw new FoveaUsageException($"--top must be at least 1; got {top}");
        var saved = Fovea.Models.Model.Load(parse.GetValue(Model)!);
        int classes = saved.ClassNames.Count;
        if (top > classes) throw new FoveaUsageException($"--top must be at most the model's {classes} classes; got {top}");
        Shape input = saved.Model.InputShape;
        if (input.Rank != 3 || input[2] is not (1 or 3))
            throw new FoveaException($"{parse.GetValue(Model)}: predict needs a model of grayscale or RGB images (height, width, 1 or 3); this one takes {input}");
        var (height, width, channels) = (input[0], input[1], input[2]);
        var colorMode = channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb;

        string[] files = parse.GetValue(Images)!;
        var pixels = new List<byte[]>(files.Length);
        var errors = new string?[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            try
            {
                // Cropped, resized and converted exactly as the model's training pictures were.
                pixels.Add(ImageLoader.Load(files[i], height, width, colorMode));
            }
            catch (FoveaException e)
            {
                errors[i] = e.Message;
            }
        }

        float[] probabilities = pixels.Count == 0 ? [] : saved.Model.Predict(Stack(pixels, height, width, channels)).Data;
        var outcomes = new Outcome[files.Length];
        for (int i = 0, row = 0; i < files.Length; i++)
            outcomes[i] = errors[i] is { } error
                ? new Outcome(files[i], null, error)
                : new Outcome(files[i], Best(probabilities.AsSpan(row++ * classes, classes), saved.ClassNames, top), null);

        if (parse.GetValue(Json)) WriteJson(outcomes);
        else WriteText(outcomes);
        return errors.Any(e => e is not null) ? ExitCodes.BadInput : ExitCodes.Success;
    }

    /// <summary>The decoded pictures as one NHWC set, so the model sees them in a single Predict.</summary>
    private static ImageSet Stack(List<byte[]> images, int height, int width, int channels)
    {
        int size = height * width * channels;
        var all = new byte[images.Count * size];
        for (int i = 0; i < images.Count; i++) images[i].CopyTo(all, i * size);
        return new ImageSet(all, images.Count, height, width, channels);
    }

    /// <summary>The <paramref name="top"/> most probable classes, ties in class order.</summary>
    private static (string Label, float Probability)[] Best(ReadOnlySpan<float> row, IReadOnlyList<string> classNames, int top)
    {
        float[] values = row.ToArray();
        return Enumerable.Range(0, values.Length).OrderByDescending(c => values[c]).ThenBy(c => c).Take(top).Select(c => (classNames[c], values[c])).ToArray();
    }

    private static void WriteText(Outcome[] outcomes)
    {
        foreach (var o in outcomes)
        {
            if (o.Error is { } error)
                Console.Error.WriteLine($"error: {FoveaCli.OneLine(error)}");
            else
                Console.WriteLine($"{o.File}: " + string.Join(", ", o.Top!.Select(p => $"{p.Label} {p.Probability.ToString("0.00", CultureInfo.InvariantCulture)}")));
        }
    }

    private static void WriteJson(Outcome[] outcomes)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, JsonOptions))
        {
            json.WriteStartArray();
            foreach (var o in outcomes)
            {
                json.WriteStartObject();
                json.WriteString("file", o.File);
                if (o.Error is { } error)
                {
                    // The loader's message starts with the path, which "file" already gives.
                    json.WriteString("error", FoveaCli.OneLine(error.StartsWith(o.File + ": ", StringComparison.Ordinal) ? error[(o.File.Length + 2)..] : error));
                }
                else
                {
                    PredictionJson.WritePredictions(json, o.Top!);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }
}
