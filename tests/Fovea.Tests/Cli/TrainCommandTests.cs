using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>End-to-end runs of <c>fovea train</c> and <c>fovea evaluate</c> on a small synthetic CIFAR-10.</summary>
public class TrainCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _data;

    public TrainCommandTests()
    {
        _data = new FakeCifar10 { TrainCounts = [40, 40, 40, 40, 40], TestCount = 50 }.WriteArchive(_temp["cifar.tar.gz"]);
    }

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    [Fact]
    public void TrainWritesTheRunAndEvaluateReproducesItsTestFigures()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Fovea("train", "--data", _data, "--epochs", "2", "--batch-size", "32", "--out", run, "--threads", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("x_train shape: (200, 32, 32, 3)", stdout);
        Assert.Contains("Total params: 167,562", stdout);
        Assert.Contains("Epoch 2/2", stdout);
        Assert.Matches(@"7/7 \[=+\] - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", stdout);
        string testLine = stdout.Split('\n').Single(l => l.StartsWith("test_loss: ", StringComparison.Ordinal));

        foreach (var f in new[] { "model.safetensors", "checkpoint.safetensors", "history.csv", "metrics.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} is missing");
        var csv = File.ReadAllLines(Path.Combine(run, "history.csv"));
        Assert.Equal("epoch,loss,accuracy,val_loss,val_accuracy,seconds", csv[0]);
        Assert.Equal(3, csv.Length);
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        foreach (var key in new[] { "test_loss", "test_accuracy", "params", "train_seconds", "epochs" })
            Assert.True(metrics.RootElement.TryGetProperty(key, out _), $"metrics.json lacks {key}");
        Assert.Equal(167_562, metrics.RootElement.GetProperty("params").GetInt64());

        var eval = Fovea("evaluate", "--model", Path.Combine(run, "model.safetensors"), "--data", _data, "--batch-size", "32", "--threads", "2");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(testLine.Trim(), eval.Stdout.Trim().Split('\n')[^1].Trim());
    }

    [Fact]
    public void AnOutFolderHoldingARunIsNotClobbered()
    {
        string run = _temp["run"];
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "history.csv"), "precious");
        var (code, _, stderr) = Fovea("train", "--data", _data, "--epochs", "1", "--out", run);
        Assert.Equal(2, code);
        Assert.Contains("already holds a run", stderr);
        Assert.Contains("--overwrite", stderr);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(run, "history.csv")));
    }

    [Theory]
    [InlineData("missing.tar.gz", "does not exist")]
    [InlineData("notgzip.tar.gz", "is not a gzip file")]
    public void BadDataIsAOneLineErrorWithExitCode2(string file, string message)
    {
        string path = _temp[file];
        if (file.StartsWith("notgzip", StringComparison.Ordinal)) File.WriteAllText(path, "hello");
        var (code, stdout, stderr) = Fovea("train", "--data", path, "--epochs", "1", "--out", _temp["run"]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(Directory.Exists(_temp["run"]), "a run folder was left behind by a run that never started");
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be at least 1; got 0")]
    [InlineData("--batch-size", "-3", "--batch-size must be at least 1; got -3")]
    [InlineData("--epochs", "ten", "ten")]
    [InlineData("--no-such-option", "1", "no-such-option")]
    [InlineData("--mixup", "-0.5", "--mixup must be between 0 (off) and 4; got -0.5")]
    [InlineData("--mixup", "5", "--mixup must be between 0 (off) and 4; got 5")]
    [InlineData("--validation-freq", "0", "--validation-freq must be at least 1; got 0")]
    public void BadUsageIsExitCode2(string option, string value, string message)
    {
        var (code, _, stderr) = Fovea("train", "--data", _data, option, value, "--out", _temp["run"]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void MixUpTrainsAndStaysWithTheRunOnResume()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Fovea("train", "--data", _data, "--epochs", "1", "--batch-size", "32", "--mixup", "0.4", "--out", run, "--threads", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("mixup: MixUp(alpha=0.4) (--mixup)", stdout);
        // The run's settings travel in the checkpoint's metadata, so that a resumed run mixes as this one did.
        Assert.Contains("mix_up\\\":0.4", File.ReadAllText(Path.Combine(run, "checkpoint.safetensors")));
        var changed = Fovea("train", "--resume", run, "--mixup", "0");
        Assert.Equal(2, changed.ExitCode);
        Assert.Contains("drop --mixup", changed.Stderr);
    }

    [Fact]
    public void ValidationFreqValidatesEveryNthEpochAndTheLast()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Fovea("train", "--data", _data, "--epochs", "3", "--batch-size", "32", "--validation-freq", "2", "--out", run, "--threads", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("validation: every 2 epochs and after the last", stdout);
        var rows = File.ReadAllLines(Path.Combine(run, "history.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["", "x", "x"], rows.Select(r => r[3] == "" ? "" : "x"));
        Assert.Contains("every 2 epochs and after the last", File.ReadAllText(Path.Combine(run, "report.html")));
        var changed = Fovea("train", "--resume", run, "--validation-freq", "1");
        Assert.Equal(2, changed.ExitCode);
    }

    [Fact]
    public void EvaluateRefusesACorruptModelWithoutAStackTrace()
    {
        string model = _temp["model.safetensors"];
        File.WriteAllBytes(model, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var (code, stdout, stderr) = Fovea("evaluate", "--model", model, "--data", _data);
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public void AFinishedRunIsNotResumedAndResumeRefusesNewSettings()
    {
        string run = _temp["run"];
        var (code, _, stderr) = Fovea("train", "--data", _data, "--epochs", "1", "--out", run);
        Assert.True(code == 0, stderr);
        var again = Fovea("train", "--resume", run, "--data", _data);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("holds a finished run", again.Stderr);
        var changed = Fovea("train", "--resume", run, "--epochs", "5");
        Assert.Equal(2, changed.ExitCode);
        Assert.Contains("drop --epochs", changed.Stderr);
    }
}
