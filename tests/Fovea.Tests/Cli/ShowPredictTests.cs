using Fovea.Zoo;
using System.Text.Json;
using Fovea.Data;
using Fovea.Imaging;
using Fovea.Models;
using Fovea.Tests.Data;
using Fovea.Visualization;
using SkiaSharp;
using TestPictures = Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Cli;

/// <summary><c>fovea show</c> and <c>fovea predict</c> run as a user would, on a synthetic CIFAR-10 and an untrained saved model.</summary>
public class ShowPredictTests : IDisposable
{
    private static readonly string[] ClassNames = FakeCifar10.OfficialClassNames;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    [Fact]
    public void ShowDrawsTheSamplesGridAndPrintsItsPath()
    {
        string data = new FakeCifar10 { TrainCounts = [8, 8, 8, 8, 8] }.WriteArchive(_temp["cifar.tar.gz"]);
        string png = Path.Combine(_temp["pictures"], "grid.png"); // the folder does not exist yet

        var (code, stdout, stderr) = Fovea("show", "--data", data, "--out", png, "--count", "9", "--seed", "3");

        Assert.True(code == 0, stderr);
        Assert.Equal(png, stdout.Trim());
        var train = Cifar10.Load(data).Train;
        using SKBitmap expected = TestPictures.Decode(ImageGrid.Samples(train, ClassNames, count: 9, seed: 3));
        using SKBitmap written = TestPictures.Decode(File.ReadAllBytes(png));
        Assert.Equal((expected.Width, expected.Height), (written.Width, written.Height));
        Assert.Equal(expected.Bytes, written.Bytes);
    }

    [Theory]
    [InlineData("0", "--count must be in [1, 400]; got 0")]
    [InlineData("401", "--count must be in [1, 400]; got 401")]
    public void ShowRefusesABadCount(string count, string message)
    {
        var (code, _, stderr) = Fovea("show", "--data", _temp["missing.tar.gz"], "--count", count, "--out", _temp["x.png"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", stderr.Trim());
    }

    /// <summary>A saved untrained model: predict only needs weights, and the same weights in-process give the expected figures.</summary>
    private string SaveModel(out Sequential model)
    {
        model = ModelZoo.SeedCnn(seed: 11);
        string path = _temp["model.safetensors"];
        model.Save(path, ClassNames);
        return path;
    }

    /// <summary>Three readable pictures of different formats and sizes, and a text file named like a PNG.</summary>
    private (string[] Good, string Bad) WritePictures()
    {
        var (images, _) = TestPictures.RandomImages(3, seed: 5);
        string png = _temp["cifar-like.png"];
        ImageLoader.SavePng(images[0].ToArray(), 32, 32, png, scale: 4);
        string jpeg = _temp["wide photo.jpg"];
        File.WriteAllBytes(jpeg, Encode(images[1].ToArray(), 200, 150, SKEncodedImageFormat.Jpeg));
        string webp = _temp["small.webp"];
        File.WriteAllBytes(webp, Encode(images[2].ToArray(), 20, 20, SKEncodedImageFormat.Webp));
        string bad = _temp["not-really.png"];
        File.WriteAllText(bad, "this is text, not a picture\n");
        return ([png, jpeg, webp], bad);
    }

    /// <summary>A 32x32 RGB image stretched to width x height and encoded.</summary>
    private static byte[] Encode(byte[] hwc, int width, int height, SKEncodedImageFormat format)
    {
        using SKBitmap small = TestPictures.Decode(ImageLoader.EncodePng(hwc, 32, 32));
        using SKBitmap resized = small.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear));
        using SKData data = resized.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>The model's probabilities for each file, computed in this process as predict should.</summary>
    private static float[][] Expected(Sequential model, string[] files)
    {
        byte[] pixels = files.SelectMany(f => ImageLoader.LoadForModel(f)).ToArray();
        float[] all = model.Predict(new ImageSet(pixels, files.Length, 32, 32, 3)).Data;
        return files.Select((_, i) => all[(i * 10)..((i + 1) * 10)]).ToArray();
    }

    [Fact]
    public void PredictJsonGivesTopClassesPerFileAndAnErrorEntryForAnUnreadableOne()
    {
        string modelPath = SaveModel(out var model);
        var (good, bad) = WritePictures();
        string[] files = [good[0], bad, good[1], good[2]];

        var (code, stdout, stderr) = Fovea(["predict", "--model", modelPath, "--json", "--top", "4", .. files]);

        Assert.Equal(2, code);
        using var json = JsonDocument.Parse(stdout);
        var entries = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(files, entries.Select(e => e.GetProperty("file").GetString()));

        var badEntry = entries[1];
        Assert.Equal(["file", "error"], badEntry.EnumerateObject().Select(p => p.Name));
        Assert.Contains("not a supported image", badEntry.GetProperty("error").GetString());

        float[][] expected = Expected(model, good);
        var goodEntries = new[] { entries[0], entries[2], entries[3] };
        for (int i = 0; i < good.Length; i++)
        {
            Assert.Equal(["file", "predictions"], goodEntries[i].EnumerateObject().Select(p => p.Name));
            var predictions = goodEntries[i].GetProperty("predictions").EnumerateArray().ToArray();
            Assert.Equal(4, predictions.Length);
            int[] ranked = Enumerable.Range(0, 10).OrderByDescending(c => expected[i][c]).ToArray();
            for (int k = 0; k < predictions.Length; k++)
            {
                Assert.Equal(["label", "probability"], predictions[k].EnumerateObject().Select(p => p.Name));
                Assert.Equal(ClassNames[ranked[k]], predictions[k].GetProperty("label").GetString());
                Assert.Equal(expected[i][ranked[k]], predictions[k].GetProperty("probability").GetSingle(), 1e-5f);
            }
        }
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void PredictPrintsALinePerPictureAndOneErrorLineNamingTheBadFile()
    {
        string modelPath = SaveModel(out var model);
        var (good, bad) = WritePictures();

        var (code, stdout, stderr) = Fovea(["predict", "--model", modelPath, good[0], good[1], bad, good[2]]);

        Assert.Equal(2, code);
        string error = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: {bad}: ", error);
        string[] lines = stdout.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        float[][] expected = Expected(model, good);
        for (int i = 0; i < good.Length; i++)
        {
            Assert.Matches(@"^.+: \w+ \d\.\d\d, \w+ \d\.\d\d, \w+ \d\.\d\d$", lines[i]);
            int best = Array.IndexOf(expected[i], expected[i].Max());
            Assert.StartsWith($"{good[i]}: {ClassNames[best]} {expected[i][best]:0.00}, ", lines[i]);
        }
    }

    [Fact]
    public void PredictSucceedsWhenEveryPictureIsRead()
    {
        string modelPath = SaveModel(out _);
        var (good, _) = WritePictures();
        var (code, stdout, stderr) = Fovea(["predict", "--model", modelPath, "--top", "1", .. good]);
        Assert.True(code == 0, stderr);
        Assert.Equal(3, stdout.Trim().Split('\n').Length);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("0", "--top must be at least 1; got 0")]
    [InlineData("11", "--top must be at most the model's 10 classes; got 11")]
    public void PredictRefusesATopOutsideTheClasses(string top, string message)
    {
        string modelPath = SaveModel(out _);
        var (good, _) = WritePictures();
        var (code, stdout, stderr) = Fovea("predict", "--model", modelPath, "--top", top, good[0]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", stderr.Trim());
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData(false, "file not found")]
    [InlineData(true, "model.safetensors")]
    public void PredictWithAMissingOrCorruptModelIsOneLineAndExitCode2(bool corrupt, string message)
    {
        string modelPath = _temp["model.safetensors"];
        if (corrupt) File.WriteAllBytes(modelPath, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var (good, _) = WritePictures();

        var (code, stdout, stderr) = Fovea("predict", "--model", modelPath, "--json", good[0]);

        Assert.Equal(2, code);
        Assert.Contains(message, Assert.Single(stderr.Trim().Split('\n')));
        Assert.Equal("", stdout);
    }
}
