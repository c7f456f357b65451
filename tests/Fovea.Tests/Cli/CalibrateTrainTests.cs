using System.Globalization;
using System.Text.Json.Nodes;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Models;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea train --calibrate</c> on a synthetic CIFAR-10, which validates on its test set: a tenth of the training
/// images is held out for the temperature, the model file keeps it, <c>evaluate</c> prints the calibration error
/// before and after, and the run folder holds the reliability diagram, the images of highest loss and their figures
/// in metrics.json, the same on every run.
/// </summary>
public class CalibrateTrainTests : IDisposable
{
    private static readonly string[] ClassNames = FakeCifar10.OfficialClassNames;
    private readonly TempFolder _temp = new();
    private readonly string _data;

    public CalibrateTrainTests() =>
        _data = new FakeCifar10 { TrainCounts = [20, 20, 20, 20, 20], TestCount = 30 }.WriteArchive(_temp["cifar.tar.gz"]);

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    private (int ExitCode, string Stdout, string Stderr) Train(string run, params string[] options) =>
        Fovea(["train", "--data", _data, "--epochs", "1", "--batch-size", "16", "--threads", "1", "--out", run, .. options]);

    private static string[] Lines(string stdout) => stdout.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).ToArray();

    [Fact]
    public void CalibrateHoldsOutATenthOfTheTrainingImagesAndKeepsTheTemperature()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Train(run, "--calibrate");
        Assert.True(code == 0, stderr);
        Assert.Contains("calibration: the temperature is fitted on 10 held-out training images after training; training on the other 90", stdout);
        Assert.Contains("x_train shape: (90, 32, 32, 3)", stdout);

        var saved = Model.Load(Path.Combine(run, "model.safetensors"));
        double t = Assert.IsType<double>(saved.Model.Temperature);
        string[] lines = Lines(stdout);
        Assert.Contains(lines, l => l.StartsWith(string.Create(CultureInfo.InvariantCulture, $"temperature: {t:0.000} fitted on 10 held-out training images (loss "), StringComparison.Ordinal));

        // The test set's calibration error before and after, from the saved model's logits.
        LabeledImages test = Cifar10.Load(_data).Test;
        float[] logits = saved.Model.PredictLogits(test.Images, 64).Data;
        double before = Calibration.ExpectedCalibrationError(TemperatureScaling.Apply(logits, 10, 1), 10, test.Labels);
        double after = Calibration.ExpectedCalibrationError(TemperatureScaling.Apply(logits, 10, t), 10, test.Labels);
        string ece = string.Create(CultureInfo.InvariantCulture, $"ece: {before * 100:0.00}% → {after * 100:0.00}% (T = {t:0.000}, 15 bins)");
        Assert.Contains(ece, lines);

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        Assert.Equal(90, (int)metrics["train_images"]!);
        Assert.Equal(after, (double)metrics["ece"]!);
        var calibration = metrics["calibration"]!;
        Assert.Equal(t, (double)calibration["temperature"]!);
        Assert.Equal(10, (int)calibration["images"]!);
        Assert.Equal("10 held-out training images", (string)calibration["fitted_on"]!);
        Assert.Equal(before, (double)calibration["ece_before"]!);
        Assert.Equal(after, (double)calibration["ece_after"]!);

        // The images of highest loss, ranked by the probabilities the model reports, and the most-confused pairs.
        float[] probabilities = TemperatureScaling.Apply(logits, 10, t);
        IReadOnlyList<TopLoss> expected = TopLosses.Find(probabilities, 10, test.Labels, 16);
        var top = metrics["top_losses"]!.AsArray();
        Assert.Equal(16, top.Count);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(expected[i].Index, (int)top[i]!["index"]!);
            Assert.Equal(ClassNames[expected[i].TrueClass], (string)top[i]!["true"]!);
            Assert.Equal(ClassNames[expected[i].PredictedClass], (string)top[i]!["predicted"]!);
            Assert.Equal(expected[i].Probability, (float)top[i]!["probability"]!);
            Assert.Equal(expected[i].Loss, (double)top[i]!["loss"]!);
        }
        var pairs = MostConfused.Find(probabilities, test.Labels, ClassNames).Take(10).ToArray();
        var listed = metrics["most_confused"]!.AsArray();
        Assert.Equal(pairs.Length, listed.Count);
        for (int i = 0; i < pairs.Length; i++)
            Assert.Equal((pairs[i].TrueName, pairs[i].PredictedName, pairs[i].Count), ((string)listed[i]!["true"]!, (string)listed[i]!["predicted"]!, (int)listed[i]!["count"]!));

        foreach (string file in new[] { "reliability.png", "top_losses.png" }) Assert.True(new FileInfo(Path.Combine(run, file)).Length > 1000, file);
        string report = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("Calibration and errors", report);
        Assert.Contains("temperature (fitted on its validation images)", report);
        Assert.Contains("Reliability diagram", report);
        Assert.Contains("images of highest loss", report);

        // evaluate: the error before and after the model's temperature, on the same test set.
        var evaluate = Fovea("evaluate", "--model", Path.Combine(run, "model.safetensors"), "--data", _data, "--threads", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Equal(ece, Lines(evaluate.Stdout.Trim())[^2]);
    }

    [Fact]
    public void TheSameSeedGivesTheSameTemperatureAndFigures()
    {
        var first = Train(_temp["a"], "--calibrate", "--seed", "3");
        var second = Train(_temp["b"], "--calibrate", "--seed", "3");
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.Stderr + second.Stderr);
        JsonNode Figures(string run)
        {
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!.AsObject();
            foreach (string clock in new[] { "train_seconds", "validation_seconds", "test_seconds" }) metrics.Remove(clock);
            metrics.Remove("memory"); // the process's resident memory varies from run to run
            return metrics;
        }
        Assert.Equal(Figures(_temp["a"]).ToJsonString(), Figures(_temp["b"]).ToJsonString());
        foreach (string file in new[] { "reliability.png", "top_losses.png", "model.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_temp["a"], file)), File.ReadAllBytes(Path.Combine(_temp["b"], file)));
    }

    [Fact]
    public void ARunThatValidatesOnItsTestSetDoesNotCalibrateByDefault()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Train(run);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("calibration:", stdout);
        Assert.Null(Model.Load(Path.Combine(run, "model.safetensors")).Model.Temperature);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        Assert.Equal(100, (int)metrics["train_images"]!);
        Assert.Null(metrics["calibration"]);
        Assert.NotNull(metrics["ece"]);
        Assert.Equal(16, metrics["top_losses"]!.AsArray().Count);
        Assert.Matches(@"^ece: \d+\.\d\d% \(15 bins\)$", Lines(stdout).Single(l => l.StartsWith("ece: ", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(run, "reliability.png")));
        Assert.True(File.Exists(Path.Combine(run, "top_losses.png")));
    }

    [Fact]
    public void AFolderWithValidationAndTestFoldersCalibratesOnItsValidationPicturesByDefault()
    {
        string photos = _temp["photos"];
        foreach (string split in new[] { "train", "val", "test" }) PictureDataset.Write(Path.Combine(photos, split), perClass: 6);
        string run = _temp["run"];
        var (code, stdout, stderr) = Fovea("train", "--data", photos, "--epochs", "1", "--batch-size", "8", "--threads", "1", "--out", run);
        Assert.True(code == 0, stderr);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        int validation = (int)metrics["calibration"]!["images"]!;
        Assert.Contains($"calibration: the temperature is fitted on {validation} validation images after training" + "\n", stdout.Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal($"{validation} validation images", (string)metrics["calibration"]!["fitted_on"]!);
        Assert.NotNull(Model.Load(Path.Combine(run, "model.safetensors")).Model.Temperature);

        var off = Fovea("train", "--data", photos, "--epochs", "1", "--batch-size", "8", "--threads", "1", "--out", _temp["off"], "--no-calibrate");
        Assert.True(off.ExitCode == 0, off.Stderr);
        Assert.DoesNotContain("calibration:", off.Stdout);
        Assert.Null(Model.Load(Path.Combine(_temp["off"], "model.safetensors")).Model.Temperature);
        // The temperature changes no training arithmetic: the same weights with and without it.
        Assert.Equal(Model.Load(Path.Combine(run, "model.safetensors")).Model.Weights.ToArray(),
            Model.Load(Path.Combine(_temp["off"], "model.safetensors")).Model.Weights.ToArray());
    }

    [Theory]
    [InlineData(new[] { "--calibrate", "--limit", "9" }, "--calibrate holds out a tenth of the training images")]
    [InlineData(new[] { "--calibrate", "--no-calibrate" }, "--calibrate and --no-calibrate contradict each other")]
    public void NothingToCalibrateOnIsAOneLineErrorAndWritesNothing(string[] options, string message)
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Train(run, options);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("Epoch", stdout);
        Assert.False(Directory.Exists(run), "the run folder was left behind");
    }

    [Fact]
    public void ResumeRefusesToChangeTheCalibration()
    {
        var (code, _, stderr) = Fovea("train", "--resume", _temp["run"], "--no-calibrate");
        Assert.Equal(2, code);
        Assert.Contains("drop --no-calibrate", stderr);
    }
}
