using System.Text.Json;
using Fovea.Imaging;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;
using Fovea.Zoo;
using SkiaSharp;
using TestPictures = Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Explain;

/// <summary><c>fovea explain</c> run as a user would, on a tiny untrained saved model.</summary>
public class ExplainCommandTests : IDisposable
{
    private static readonly string[] ClassNames = ["circle", "square", "triangle"];
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    private string SaveModel()
    {
        var model = TutorialCnn.Build(new Shape(16, 16, 3), ClassNames.Length, seed: 3);
        string path = _temp["model.safetensors"];
        model.Save(path, ClassNames);
        return path;
    }

    private string[] WritePictures()
    {
        var (images, _) = TestPictures.RandomImages(2, seed: 4);
        var paths = new[] { _temp["first.png"], _temp["second.png"] };
        for (int i = 0; i < paths.Length; i++) ImageLoader.SavePng(images[i].ToArray(), 32, 32, paths[i]);
        return paths;
    }

    [Fact]
    public void WritesOnePicturePerImageAndPrintsHeatmapRows()
    {
        string model = SaveModel();
        var pictures = WritePictures();
        string outDir = Path.Combine(_temp["out"], "explained");

        var (code, stdout, stderr) = Fovea(["explain", "--model", model, .. pictures, "--out", outDir, "--json", "--class", "square"]);

        Assert.True(code == 0, stderr);
        foreach (var name in new[] { "first.gradcam.png", "second.gradcam.png" })
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(outDir, name));
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 2 * 192 && bitmap.Height > 192, $"{name}: {bitmap.Width}x{bitmap.Height}");
        }
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(2, json.RootElement.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            var item = json.RootElement[i];
            Assert.Equal(pictures[i], item.GetProperty("file").GetString());
            Assert.Equal("square", item.GetProperty("class").GetString());
            Assert.InRange(item.GetProperty("probability").GetDouble(), 0, 1);
            var rows = item.GetProperty("heatmap");
            Assert.Equal(16, rows.GetArrayLength());
            var values = rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToList();
            Assert.Equal(16 * 16, values.Count);
            Assert.All(values, v => Assert.InRange(v, 0, 1));
        }
    }

    [Fact]
    public void AnUnreadablePictureStopsBeforeAnythingIsWritten()
    {
        string model = SaveModel();
        var pictures = WritePictures();
        string bad = _temp["not-really.png"];
        File.WriteAllText(bad, "this is text, not a picture\n");
        string outDir = Path.Combine(_temp["out"], "none");

        var (code, stdout, stderr) = Fovea(["explain", "--model", model, pictures[0], bad, "--out", outDir]);

        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", stderr.Trim());
        Assert.Contains("not-really.png", stderr);
        Assert.False(Directory.Exists(outDir));
        Assert.Equal("", stdout.Trim());
    }

    [Theory]
    [InlineData("--class", "hexagon", "--class 'hexagon' is not one of the model's classes")]
    [InlineData("--layer", "nope", "has no layer 'nope'")]
    [InlineData("--layer", "dense", "layer 'dense' is not convolutional")]
    public void BadClassOrLayerIsAOneLineUsageError(string option, string value, string message)
    {
        string model = SaveModel();
        var pictures = WritePictures();
        string outDir = Path.Combine(_temp["out"], "none");

        var (code, _, stderr) = Fovea("explain", "--model", model, pictures[0], option, value, "--out", outDir);

        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(outDir));
    }
}
