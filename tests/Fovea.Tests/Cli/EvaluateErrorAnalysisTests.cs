using System.Globalization;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Models;
using Fovea.Tests.Data;
using Fovea.Visualization;
using Fovea.Zoo;
using SkiaSharp;
using TestPictures = Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Cli;

/// <summary><c>fovea evaluate</c>'s calibration error and <c>--top-losses</c>, on a synthetic CIFAR-10 and an untrained saved model.</summary>
public class EvaluateErrorAnalysisTests : IDisposable
{
    private static readonly string[] ClassNames = FakeCifar10.OfficialClassNames;

    private readonly TempFolder _temp = new();
    private readonly string _data;
    private readonly string _model;

    public EvaluateErrorAnalysisTests()
    {
        _data = new FakeCifar10 { TrainCounts = [8, 8, 8, 8, 8], TestCount = 30 }.WriteArchive(_temp["cifar.tar.gz"]);
        Directory.CreateDirectory(_temp["models"]);
        _model = _temp["models/model.safetensors"];
        ModelZoo.SeedCnn(seed: 5).Save(_model, ClassNames);
    }

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    /// <summary>The saved model's probabilities on the test set, computed here as evaluate computes them.</summary>
    private (LabeledImages Test, float[] Probabilities) Expected()
    {
        LabeledImages test = Cifar10.Load(_data).Test;
        return (test, Model.Load(_model).Model.Predict(test.Images, batchSize: 64).Data);
    }

    [Fact]
    public void EvaluatePrintsTheCalibrationErrorBeforeTheTestLine()
    {
        var (code, stdout, stderr) = Fovea("evaluate", "--model", _model, "--data", _data, "--threads", "1");
        Assert.True(code == 0, stderr);
        string[] lines = stdout.Trim().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.StartsWith("test_loss: ", lines[^1], StringComparison.Ordinal); // still last, as the training run prints it
        var (test, probabilities) = Expected();
        double ece = Calibration.ExpectedCalibrationError(probabilities, ClassNames.Length, test.Labels);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"ece: {ece * 100:0.00}% (15 bins)"), lines[^2]);
        Assert.False(File.Exists(_temp["models/top_losses.png"]), "top_losses.png written without --top-losses");
    }

    [Fact]
    public void TopLossesDrawsThePicturesBesideTheModelAndListsTheMostConfusedPairs()
    {
        var (code, stdout, stderr) = Fovea("evaluate", "--model", _model, "--data", _data, "--top-losses", "6", "--threads", "1");
        Assert.True(code == 0, stderr);

        string png = _temp["models/top_losses.png"];
        Assert.Contains($"top_losses: {png} (6 images of highest loss)", stdout);
        var (test, probabilities) = Expected();
        IReadOnlyList<TopLoss> top = TopLosses.Find(probabilities, ClassNames.Length, test.Labels, 6);
        using SKBitmap expected = TestPictures.Decode(TopLossesGrid.Render(test.Images, top, ClassNames));
        using SKBitmap written = TestPictures.Decode(File.ReadAllBytes(png));
        Assert.Equal((expected.Width, expected.Height), (written.Width, written.Height));
        Assert.Equal(expected.Bytes, written.Bytes);

        IReadOnlyList<ConfusedPair> pairs = MostConfused.Find(probabilities, test.Labels, ClassNames);
        Assert.NotEmpty(pairs); // an untrained model gets most of 30 images wrong
        Assert.Contains("most confused (true -> predicted: images):", stdout);
        foreach (ConfusedPair pair in pairs.Take(10))
            Assert.Contains($"  {pair.TrueName} -> {pair.PredictedName}: {pair.Count}\n", stdout.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void OutWritesTheReliabilityDiagramAndTheTopLossesIntoTheFolder()
    {
        string folder = _temp["analysis"];
        var (code, stdout, stderr) = Fovea("evaluate", "--model", _model, "--data", _data, "--out", folder, "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains($"reliability: {Path.Combine(folder, "reliability.png")}", stdout);
        Assert.Contains($"top_losses: {Path.Combine(folder, "top_losses.png")} (16 images of highest loss)", stdout);
        Assert.True(File.Exists(Path.Combine(folder, "reliability.png")));
        Assert.False(File.Exists(_temp["models/top_losses.png"]), "written beside the model despite --out");

        File.WriteAllText(_temp["a-file"], "keep");
        var refused = Fovea("evaluate", "--model", _model, "--data", _data, "--out", _temp["a-file"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--out must be a folder", refused.Stderr);
        Assert.Equal("keep", File.ReadAllText(_temp["a-file"]));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("401")]
    public void ABadTopLossCountIsAOneLineError(string count)
    {
        var (code, stdout, stderr) = Fovea("evaluate", "--model", _model, "--data", _data, "--top-losses", count);
        Assert.Equal(2, code);
        Assert.Equal($"error: --top-losses must be in [1, 400]; got {count}", stderr.Trim());
        Assert.DoesNotContain("   at ", stdout + stderr);
    }
}
