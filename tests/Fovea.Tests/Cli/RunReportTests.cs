using System.Text.Json;
using System.Text.RegularExpressions;
using Fovea.Data;
using Fovea.Tests.Data;
using Fovea.Training;
using Fovea.Visualization;
using SkiaSharp;
using TestPictures = Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Cli;

/// <summary>A short <c>fovea train</c> on a synthetic CIFAR-10 leaves the pictures, per-class accuracy and report in its run folder.</summary>
public class RunReportTests : IDisposable
{
    private static readonly string[] Pictures = ["samples.png", "loss.png", "accuracy.png", "predictions.png", "confusion.png", "reliability.png", "top_losses.png"];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TrainWritesEveryPictureThePerClassAccuracyAndASelfContainedReport()
    {
        var fake = new FakeCifar10 { TrainCounts = [40, 40, 40, 40, 40], TestCount = 50 };
        string data = fake.WriteArchive(_temp["cifar.tar.gz"]);
        string run = _temp["run"];

        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], "train", "--data", data, "--epochs", "1", "--batch-size", "32", "--out", run, "--threads", "2");

        Assert.True(code == 0, stderr);
        Assert.Contains($"report: {Path.Combine(run, "report.html")}", stdout);
        foreach (string name in Pictures)
        {
            byte[] png = File.ReadAllBytes(Path.Combine(run, name));
            using SKBitmap bitmap = TestPictures.Decode(png);
            Assert.True(bitmap.Width >= 100 && bitmap.Height >= 100, $"{name} is {bitmap.Width}x{bitmap.Height}");
            Assert.True(TestPictures.Variance(bitmap) > 0, $"{name} is blank");
        }
        var train = Cifar10.Load(data).Train;
        var samples = ImageGrid.SamplesLayout(train.Images, train.Labels, FakeCifar10.OfficialClassNames, ImageGrid.DefaultCount, seed: 0);
        using (SKBitmap written = TestPictures.Decode(File.ReadAllBytes(Path.Combine(run, "samples.png"))))
            Assert.Equal((samples.Width, samples.Height), (written.Width, written.Height));

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        var perClass = metrics.RootElement.GetProperty("per_class_accuracy").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(FakeCifar10.OfficialClassNames, perClass.Keys);
        Assert.All(perClass.Values, a => Assert.InRange(a, 0, 1));
        // The per-class figures come from the same predictions as the test accuracy: weighted by class size, they give it back.
        int[] testLabels = fake.ExpectedTest().Labels;
        double correct = perClass.Sum(p => p.Value * testLabels.Count(l => FakeCifar10.OfficialClassNames[l] == p.Key));
        Assert.Equal(metrics.RootElement.GetProperty("test_accuracy").GetDouble(), correct / testLabels.Length, 9);

        string html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.True(Regex.Count(html, "<img src=\"data:image/png;base64,") >= 7, "report.html embeds fewer than 7 pictures");
        Assert.Contains("Calibration and errors", html);
        Assert.Contains("Most confused", html);
        Assert.All(Pictures, name => Assert.Contains(name, RunFolder.ReportFiles));
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        Assert.Contains("Total params: 167,562", html);
        Assert.Contains("Learning rate", html);
        foreach (string name in FakeCifar10.OfficialClassNames) Assert.Contains($"<td>{name}</td>", html);
    }

    [Fact]
    public void OverwriteReplacesTheOldRunOnlyOnceTheNewOneCanStart()
    {
        string run = _temp["run"];
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "metrics.json"), "{}");
        File.WriteAllText(Path.Combine(run, "report.html"), "old");
        File.WriteAllText(Path.Combine(run, "loss.png"), "old");

        // Missing data: the new run cannot start, so the old one must survive untouched.
        var (code, _, _) = FoveaProcess.Run(_temp["home"], "train", "--data", _temp["missing.tar.gz"], "--out", run, "--overwrite");
        Assert.Equal(2, code);
        Assert.Equal("old", File.ReadAllText(Path.Combine(run, "report.html")));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(run, "metrics.json")));

        string data = new FakeCifar10 { TrainCounts = [10, 10, 10, 10, 10], TestCount = 20 }.WriteArchive(_temp["cifar.tar.gz"]);
        var (ok, _, stderr) = FoveaProcess.Run(_temp["home"], "train", "--data", data, "--epochs", "1", "--out", run, "--overwrite");
        Assert.True(ok == 0, stderr);
        Assert.NotEqual("old", File.ReadAllText(Path.Combine(run, "report.html")));
        Assert.Contains("test_accuracy", File.ReadAllText(Path.Combine(run, "metrics.json")));
    }
}
