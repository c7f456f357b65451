using System.Text.Json;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary><c>fovea train</c> reports its peak memory and plan, and refuses a budget too small for one picture.</summary>
public class MemoryReportTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TrainWritesItsPeakMemoryAndPlanAndEndsWithThem()
    {
        string data = new FakeCifar10 { TrainCounts = [16, 16, 16, 16, 16], TestCount = 20 }.WriteArchive(_temp["cifar.tar.gz"]);
        string run = _temp["run"];

        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], "train", "--data", data, "--epochs", "1", "--batch-size", "16", "--out", run, "--threads", "2", "--max-memory", "4G");

        Assert.True(code == 0, stderr);
        Assert.Matches(@"memory budget 4\.00 GB \([\d.]+ MB of it kept for the runtime and the pictures\): a batch of 16 plans .+ and fits whole", stdout);
        Assert.Matches(@"Activation memory per picture: \d+ KB training, \d+ KB inference", stdout);
        string last = stdout.TrimEnd().Split('\n')[^1];
        Assert.Matches(@"^peak memory: [\d,]+ MB resident; planned at batch 16: activations .+ \(budget 4\.00 GB\)$", last);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        var memory = metrics.RootElement.GetProperty("memory");
        Assert.True(memory.GetProperty("peak_resident_bytes").GetInt64() > 10L << 20);
        Assert.True(memory.GetProperty("activation_bytes").GetInt64() > 0);
        Assert.Equal(4 * 167_562L, memory.GetProperty("weight_bytes").GetInt64());
        Assert.Equal(16, memory.GetProperty("batch_size").GetInt32());
        string html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("Peak memory", html);
        Assert.Contains("Memory plan", html);
    }

    [Fact]
    public void ABudgetTooSmallForOnePictureIsRefusedBeforeTheRunStarts()
    {
        string data = new FakeCifar10 { TrainCounts = [16, 16, 16, 16, 16], TestCount = 20 }.WriteArchive(_temp["cifar.tar.gz"]);
        string run = _temp["run"];

        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], "train", "--data", data, "--epochs", "1", "--out", run, "--max-memory", "100K");

        Assert.Equal(2, code);
        Assert.Matches(@"^error: a memory budget of 100 KB is too small for .+: one picture's training step needs [\d.]+ MB with the runtime and the pictures\n?$", stderr.TrimEnd() + "\n");
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("Epoch", stdout);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void ASizeThatIsNotOneIsRefused()
    {
        var (code, _, stderr) = FoveaProcess.Run(_temp["home"], "train", "--max-memory", "lots", "--out", _temp["run"]);

        Assert.Equal(2, code);
        Assert.Contains("--max-memory takes a size such as 1.5G", stderr);
        Assert.False(Directory.Exists(_temp["run"]));
    }
}
