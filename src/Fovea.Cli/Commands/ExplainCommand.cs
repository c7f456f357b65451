using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fovea.Data;
using Fovea.Explain;
using Fovea.Imaging;
using Fovea.Visualization;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea explain</c>: what a saved model looked at. For each picture (read and resized as <c>fovea predict</c>
/// reads it), the Grad-CAM map of the predicted class, or of <c>--class</c>, at the last convolutional feature map or
/// <c>--layer</c>: one PNG per picture with the picture, the heatmap over it, its legend and the top classes; with
/// <c>--json</c>, the maps as numbers. A picture that cannot be read stops the command before anything is written.
/// </summary>
internal static class ExplainCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly Argument<string[]> Images = new("IMAGE") { Description = "Pictures to explain: PNG, JPEG, BMP, GIF or WebP, any size", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<string?> Class = new("--class") { Description = "The class to explain, by name (default: each picture's predicted class)" };
    private static readonly Option<string?> Layer = new("--layer") { Description = "The convolutional layer whose feature map is weighed (default: the last one)" };
    private static readonly Option<string> Out = new("--out") { Description = "Folder for the pictures, one <name>.gradcam.png per picture", DefaultValueFactory = _ => "." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON array: per picture its file, class, probability and heatmap rows" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };

    private const int Top = 3;
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var command = new Command("explain", "Show which parts of pictures a saved model's prediction rests on (Grad-CAM)") { Model, Images, Class, Layer, Out, Json, Threads };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse)));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        string modelPath = parse.GetValue(Model)!;
        var saved = Fovea.Models.Model.Load(modelPath);
        var classNames = saved.ClassNames;
        Shape input = saved.Model.InputShape;
        if (input.Rank != 3 || input[2] is not (1 or 3))
            throw new FoveaUsageException($"{modelPath}: explain needs a model of grayscale or RGB images (height, width, 1 or 3); this one takes {input}");
        int? classIndex = null;
        if (parse.GetValue(Class) is { } name)
        {
            int found = classNames.ToList().IndexOf(name);
            if (found < 0) throw new FoveaUsageException($"--class '{name}' is not one of the model's classes: {string.Join(", ", classNames)}");
            classIndex = found;
        }
        var (height, width, channels) = (input[0], input[1], input[2]);
        string[] files = parse.GetValue(Images)!;
        // Every picture is read before anything is written: a bad one leaves no partial output behind.
        var pixels = new byte[files.Length * height * width * channels];
        for (int i = 0; i < files.Length; i++)
            ImageLoader.Load(files[i], height, width, channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb).CopyTo(pixels, i * height * width * channels);
        var images = new ImageSet(pixels, files.Length, height, width, channels);
        var cam = GradCam.Compute(saved.Model, images, classIndex, parse.GetValue(Layer));

        string outDir = parse.GetValue(Out)!;
        var outputs = OutputNames(files, outDir);
        int size = height * width;
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < files.Length; i++)
        {
            var probabilities = cam.Probabilities.Data.AsSpan(i * classNames.Count, classNames.Count);
            string title = $"{Path.GetFileName(files[i])}: Grad-CAM of '{classNames[cam.Classes[i]]}' at {cam.Layer}";
            var png = GradCamPicture.Draw(images[i], height, width, channels, cam.Upsampled.Data.AsSpan(i * size, size), title, Best(probabilities, classNames));
            File.WriteAllBytes(outputs[i], png);
        }
        if (parse.GetValue(Json)) WriteJson(files, cam, classNames, height, width);
        else
            for (int i = 0; i < files.Length; i++)
                Console.WriteLine($"{files[i]}: {classNames[cam.Classes[i]]} {Probability(cam, i, classNames.Count).ToString("0.00", CultureInfo.InvariantCulture)} → {outputs[i]}");
        return ExitCodes.Success;
    }

    /// <summary>One <c>name.gradcam.png</c> per picture in <paramref name="outDir"/>, numbered where two pictures share a name.</summary>
    private static string[] OutputNames(string[] files, string outDir)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new string[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(files[i]), name = stem + ".gradcam.png";
            for (int k = 2; !used.Add(name); k++) name = $"{stem}-{k}.gradcam.png";
            names[i] = Path.Combine(outDir, name);
        }
        return names;
    }

    private static float Probability(GradCamResult cam, int i, int classes) => cam.Probabilities.Data[i * classes + cam.Classes[i]];

    /// <summary>The most probable classes, ties in class order.</summary>
    private static (string Label, float Probability)[] Best(ReadOnlySpan<float> row, IReadOnlyList<string> classNames)
    {
        float[] values = row.ToArray();
        return Enumerable.Range(0, values.Length).OrderByDescending(c => values[c]).ThenBy(c => c).Take(Top).Select(c => (classNames[c], values[c])).ToArray();
    }

    private static void WriteJson(string[] files, GradCamResult cam, IReadOnlyList<string> classNames, int height, int width)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, JsonOptions))
        {
            json.WriteStartArray();
            for (int i = 0; i < files.Length; i++)
            {
                json.WriteStartObject();
                json.WriteString("file", files[i]);
                json.WriteString("class", classNames[cam.Classes[i]]);
                json.WriteNumber("probability", Probability(cam, i, classNames.Count));
                json.WriteString("layer", cam.Layer);
                json.WriteStartArray("heatmap");
                for (int y = 0; y < height; y++)
                {
                    json.WriteStartArray();
                    for (int x = 0; x < width; x++) json.WriteNumberValue(Math.Round(cam.Upsampled.Data[(i * height + y) * width + x], 4));
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }
}
