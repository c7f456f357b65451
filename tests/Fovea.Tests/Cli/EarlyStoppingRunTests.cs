using System.Globalization;
using Fovea.Models;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea train --early-stopping N</c> end to end, on a few fake CIFAR-10 images (whose labels do not follow from the
/// pictures, so val_loss soon stops improving): the best epoch's weights are kept as best.safetensors and restored in
/// model.safetensors, and a run stopped part-way (or just after early stopping ended it) resumes to the same files.
/// </summary>
public class EarlyStoppingRunTests : IDisposable
{
    private const int Epochs = 8, StepsPerEpoch = 5;
    private readonly TempFolder _temp = new();
    private readonly string[] _settings;

    public EarlyStoppingRunTests()
    {
        string data = new FakeCifar10 { TrainCounts = [32, 32, 32, 32, 32], TestCount = 50 }.WriteArchive(_temp["cifar.tar.gz"]);
        _settings = ["--data", data, "--epochs", $"{Epochs}", "--batch-size", "32", "--learning-rate", "0.003", "--early-stopping", "1", "--threads", "2", "--seed", "3"];
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private (string Run, string Stdout) Train(string name)
    {
        string run = _temp[name];
        var (code, stdout, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run]);
        Assert.True(code == 0, stderr);
        return (run, stdout);
    }

    private static double[] ValLosses(string run) =>
        File.ReadAllLines(Path.Combine(run, "history.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[3], CultureInfo.InvariantCulture)).ToArray();

    private static float[] Weights(string path) => Model.Load(path).Model.WeightBlock.ToArray();

    private static void AssertSameBits(string expected, string actual) =>
        Assert.True(File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)), $"{actual} differs from {expected}");

    [Fact]
    public void Stops_early_keeps_the_best_epoch_and_restores_its_weights()
    {
        var (run, stdout) = Train("run");

        double[] valLosses = ValLosses(run);
        int best = Array.IndexOf(valLosses, valLosses.Min()) + 1;
        Assert.True(valLosses.Length < Epochs, $"no early stop in {valLosses.Length} epochs");
        Assert.Equal(best + 1, valLosses.Length); // patience 1: the first epoch without improvement ends the run
        Assert.True(File.Exists(Path.Combine(run, "best.safetensors")));
        Assert.Equal(Weights(Path.Combine(run, "best.safetensors")), Weights(Path.Combine(run, "model.safetensors")));
        // The test set is the validation set here: the restored model scores the best epoch's val_loss, not the last one's.
        Assert.Contains($"test_loss: {valLosses.Min().ToString("F4", CultureInfo.InvariantCulture)} ", stdout);
        Assert.NotEqual(valLosses.Min().ToString("F4", CultureInfo.InvariantCulture), valLosses[^1].ToString("F4", CultureInfo.InvariantCulture));
    }

    /// <summary>Stopped 2 steps into epoch 2, or right after the epoch whose val_loss ended the run (before its final steps).</summary>
    [Theory]
    [InlineData("inside epoch 2")]
    [InlineData("after the stopping epoch")]
    public void A_stopped_run_resumes_to_the_same_best_and_final_weights(string where)
    {
        var (reference, _) = Train("uninterrupted");
        int step = where == "inside epoch 2" ? StepsPerEpoch + 2 : ValLosses(reference).Length * StepsPerEpoch;

        string run = _temp["stopped"];
        var (code, _, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run],
            new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = step.ToString(CultureInfo.InvariantCulture) });
        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));

        var resumed = FoveaProcess.Run(Home, "train", "--resume", run);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        AssertSameBits(Path.Combine(reference, "model.safetensors"), Path.Combine(run, "model.safetensors"));
        AssertSameBits(Path.Combine(reference, "best.safetensors"), Path.Combine(run, "best.safetensors"));
        Assert.Equal(ValLosses(reference), ValLosses(run));
    }
}
