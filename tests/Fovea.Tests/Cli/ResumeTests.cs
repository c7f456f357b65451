using System.Diagnostics;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// A run killed part-way and resumed must end with exactly the weights of a run that was never interrupted:
/// same seed, same thread count, same bytes in model.safetensors.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class ResumeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _data;
    private readonly string[] _settings;

    public ResumeTests() : this(["--epochs", "3", "--batch-size", "32"]) { }

    /// <summary>The same checks for another model and recipe (<paramref name="model"/> holds its options).</summary>
    protected ResumeTests(string[] model)
    {
        _data = new FakeCifar10 { TrainCounts = [800, 800, 800, 800, 800], TestCount = 100 }.WriteArchive(_temp["cifar.tar.gz"]);
        _settings = ["--data", _data, .. model, "--threads", "2", "--seed", "7"];
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private string Uninterrupted()
    {
        string run = _temp["uninterrupted"];
        var (code, _, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run]);
        Assert.True(code == 0, stderr);
        return run;
    }

    /// <summary>Seconds of training per epoch, from the uninterrupted run's history (validation excluded).</summary>
    private static double EpochSeconds(string run) =>
        File.ReadAllLines(Path.Combine(run, "history.csv")).Skip(1).Min(l => double.Parse(l.Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Starts a run and sends it <paramref name="signal"/> part-way through its second epoch, from a shell that watches
    /// for the first checkpoint (written at the end of epoch 1), so that the timing does not hang on this test process.
    /// A loaded machine can still let the run finish first; then it tries again with a shorter delay.
    /// </summary>
    private (string Run, int ExitCode, string Stderr) Interrupted(double epochSeconds, string signal)
    {
        double delay = epochSeconds / 3;
        for (int attempt = 1; ; attempt++, delay /= 4)
        {
            string run = _temp[$"interrupted-{attempt}"];
            string[] argv = ["train", .. _settings, "--out", run];
            string args = string.Join(' ', argv.Select(a => $"'{a}'"));
            string script = $"""
                dotnet '{FoveaProcess.Dll}' {args} >/dev/null 2>'{run}.err' & pid=$!
                while [ ! -f '{run}/checkpoint.safetensors' ] && kill -0 $pid 2>/dev/null; do sleep 0.005; done
                sleep {delay.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}; kill -{signal} $pid; wait $pid; echo $?
                """;
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            info.Environment["FOVEA_HOME"] = Home;
            using var shell = Process.Start(info)!;
            string output = shell.StandardOutput.ReadToEnd();
            Assert.True(shell.WaitForExit(TimeSpan.FromMinutes(3)));
            int code = int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            bool finished = File.Exists(Path.Combine(run, "model.safetensors"));
            if (finished && attempt < 4) continue;
            Assert.False(finished, $"the run finished before it could be stopped, {attempt} times (exit {code})");
            int epochsDone = File.ReadAllText(Path.Combine(run, "history.csv")).Trim().Split('\n').Length - 1;
            Assert.InRange(epochsDone, 1, 2);
            return (run, code, File.ReadAllText(run + ".err"));
        }
    }

    private void ResumeAndCompare(string interrupted, string uninterrupted)
    {
        var (code, stdout, stderr) = FoveaProcess.Run(Home, "train", "--resume", interrupted);
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming", stdout);
        var expected = File.ReadAllBytes(Path.Combine(uninterrupted, "model.safetensors"));
        var actual = File.ReadAllBytes(Path.Combine(interrupted, "model.safetensors"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's model.safetensors differs from the uninterrupted run's");
        Assert.Equal(4, File.ReadAllText(Path.Combine(interrupted, "history.csv")).Trim().Split('\n').Length);
    }

    [Fact]
    public void SigkillMidEpochThenResumeGivesBitIdenticalWeights()
    {
        string reference = Uninterrupted();
        var (run, code, _) = Interrupted(EpochSeconds(reference), "KILL");
        Assert.NotEqual(0, code);
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
        ResumeAndCompare(run, reference);
    }

    [Fact]
    public void SigtermCheckpointsMidEpochAndExits130()
    {
        string reference = Uninterrupted();
        var (run, code, stderr) = Interrupted(EpochSeconds(reference), "TERM");
        Assert.Equal(130, code);
        Assert.Contains($"resume with: fovea train --resume {run}", stderr);
        Assert.Matches(@"interrupted after epoch \d, step [1-9]\d*:", stderr); // a checkpoint from inside an epoch
        ResumeAndCompare(run, reference);
    }

    [Fact]
    public void ResumeRefusesAFolderWithoutACheckpoint()
    {
        Directory.CreateDirectory(_temp["empty"]);
        var (code, _, stderr) = FoveaProcess.Run(Home, "train", "--resume", _temp["empty"]);
        Assert.Equal(2, code);
        Assert.Contains("holds no checkpoint.safetensors", stderr);
    }
}

/// <summary>
/// airbench94 with its whole recipe (BatchNorm statistics, Lookahead's slow weights, SGD momentum, per-group schedules,
/// alternating flips and translations drawn from the seed) must resume bit for bit too. Smaller batches keep it quick.
/// </summary>
public sealed class AirbenchResumeTests() : ResumeTests(["--model", "airbench94", "--epochs", "3", "--batch-size", "256"]);
