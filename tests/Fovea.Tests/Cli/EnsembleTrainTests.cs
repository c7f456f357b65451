using Fovea.Models;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea train --ensemble N</c>: network k is the single run of seed SEED + k, to the byte; the run's model averages
/// them; a run stopped in either network resumes to the uninterrupted run's model, byte for byte.
/// </summary>
public class EnsembleTrainTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string[] _settings;

    public EnsembleTrainTests()
    {
        string data = new FakeCifar10 { TrainCounts = [.. Enumerable.Repeat(32, 5)], TestCount = 40 }.WriteArchive(_temp["cifar.tar.gz"]);
        _settings = ["--data", data, "--epochs", "2", "--batch-size", "32", "--threads", "2", "--seed", "7"];
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private (int Code, string Stdout, string Stderr) Train(string run, string[] extra, string? stopAfterStep = null) =>
        FoveaProcess.Run(Home, ["train", .. _settings, .. extra, "--out", run],
            stopAfterStep is null ? null : new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = stopAfterStep });

    [Fact]
    public void Each_network_is_the_run_of_its_seed_and_the_model_averages_them()
    {
        string ensemble = _temp["ensemble"], single = _temp["single"];
        var (code, stdout, stderr) = Train(ensemble, ["--ensemble", "2"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("ensemble: 2 networks from seeds 7 to 8, their probabilities averaged", stdout);
        Assert.Contains("network 2 of 2 (seed 8)", stdout);
        var (singleCode, _, singleErr) = FoveaProcess.Run(Home, ["train", .. _settings.Select(a => a == "7" ? "8" : a), "--out", single]);
        Assert.True(singleCode == 0, singleErr);

        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "model.safetensors")), File.ReadAllBytes(Path.Combine(ensemble, "members", "member-2.safetensors")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(ensemble, "members", "member-1-history.csv")).Length);
        var combined = Model.Load(Path.Combine(ensemble, "model.safetensors")).Model;
        var member = Model.Load(Path.Combine(ensemble, "members", "member-2.safetensors")).Model;
        Assert.Equal(2 * member.ParameterCount, combined.ParameterCount);
        Assert.Contains("Ensemble", File.ReadAllText(Path.Combine(ensemble, "report.html")));
    }

    [Fact]
    public void A_run_stopped_in_either_network_resumes_to_the_uninterrupted_model()
    {
        string reference = _temp["reference"], run = _temp["stopped"];
        Assert.Equal(0, Train(reference, ["--ensemble", "2"]).Code);

        // Stopped 1 step into network 1's second epoch; resumed with the same stop, network 1 runs on past it and
        // network 2 stops at the same step of its own run.
        var (code, _, stderr) = Train(run, ["--ensemble", "2"], stopAfterStep: "6");
        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.Contains("interrupted in network 1 of 2 after epoch 1, step 1", stderr);
        (code, var stdout, stderr) = FoveaProcess.Run(Home, ["train", "--resume", run], new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = "6" });
        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.Contains("resuming network 1", stdout);
        Assert.Contains("interrupted in network 2 of 2", stderr);
        Assert.True(File.Exists(Path.Combine(run, "members", "member-1.safetensors")));

        (code, stdout, stderr) = FoveaProcess.Run(Home, "train", "--resume", run);
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming network 2", stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "model.safetensors")), File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
    }

    [Theory]
    [InlineData("0", "--ensemble must be between 1 and 16; got 0")]
    [InlineData("17", "--ensemble must be between 1 and 16; got 17")]
    public void A_bad_size_is_refused_in_one_line(string size, string message)
    {
        var (code, _, stderr) = Train(_temp["bad"], ["--ensemble", size]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", stderr.Trim());
    }

    [Fact]
    public void An_ensemble_is_calibrated_on_its_mean()
    {
        string run = _temp["calibrated"];
        var (code, stdout, stderr) = Train(run, ["--ensemble", "2", "--calibrate"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("temperature: ", stdout);
        Assert.NotNull(Model.Load(Path.Combine(run, "model.safetensors")).Model.Temperature);
    }
}
