using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// A run stopped part-way and resumed must end with exactly the weights of a run that was never interrupted: same
/// seed, same thread count, same bytes in model.safetensors. The run stops itself right after a chosen step
/// (<c>FOVEA_STOP_AFTER_STEP</c>, the same interruption as Ctrl+C or SIGTERM), so where it stops does not hang on timing.
/// </summary>
public class ResumeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string[] _settings;
    private readonly int _stepsPerEpoch;

    public ResumeTests() : this(["--epochs", "3", "--batch-size", "32"], trainPerBatchFile: 64, stepsPerEpoch: 10) { }

    /// <summary>The same checks for another model and recipe (<paramref name="model"/> holds its options).</summary>
    protected ResumeTests(string[] model, int trainPerBatchFile, int stepsPerEpoch)
    {
        string data = new FakeCifar10 { TrainCounts = [.. Enumerable.Repeat(trainPerBatchFile, 5)], TestCount = 50 }.WriteArchive(_temp["cifar.tar.gz"]);
        _settings = ["--data", data, .. model, "--threads", "2", "--seed", "7"];
        _stepsPerEpoch = stepsPerEpoch;
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private string Uninterrupted()
    {
        string run = _temp["uninterrupted"];
        var (code, stdout, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run]);
        Assert.True(code == 0, stderr);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(run, "history.csv")).Length);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith($"{_stepsPerEpoch}/{_stepsPerEpoch} ", StringComparison.Ordinal));
        return run;
    }

    /// <summary>Trains with the same settings and stops right after step <paramref name="step"/> of the run.</summary>
    private (string Run, int ExitCode, string Stderr) StoppedAfter(int step)
    {
        string run = _temp[$"stopped-{step}"];
        var (code, _, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run],
            new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return (run, code, stderr);
    }

    private void ResumeAndCompare(string interrupted, string uninterrupted)
    {
        var (code, stdout, stderr) = FoveaProcess.Run(Home, "train", "--resume", interrupted);
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming", stdout);
        var expected = File.ReadAllBytes(Path.Combine(uninterrupted, "model.safetensors"));
        var actual = File.ReadAllBytes(Path.Combine(interrupted, "model.safetensors"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's model.safetensors differs from the uninterrupted run's");
        Assert.Equal(File.ReadAllLines(Path.Combine(uninterrupted, "history.csv")).Select(WithoutSeconds),
                     File.ReadAllLines(Path.Combine(interrupted, "history.csv")).Select(WithoutSeconds));
    }

    /// <summary>A history line without its last column, the epoch's wall time.</summary>
    private static string WithoutSeconds(string line) => line[..line.LastIndexOf(',')];

    /// <summary>
    /// Stopped 3 steps into the second epoch (a checkpoint from inside an epoch), or right at the end of the first (the
    /// state a SIGKILL anywhere in the second epoch leaves: the first epoch's checkpoint and nothing after it).
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public void A_run_stopped_after_a_step_checkpoints_exits_130_and_resumes_to_the_uninterrupted_weights(int stepsIntoSecondEpoch)
    {
        string reference = Uninterrupted();
        var (run, code, stderr) = StoppedAfter(_stepsPerEpoch + stepsIntoSecondEpoch);

        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.Contains($"interrupted after epoch 1, step {stepsIntoSecondEpoch}: checkpoint saved in {Path.Combine(run, "checkpoint.safetensors")}", stderr);
        Assert.Contains($"resume with: fovea train --resume {run}", stderr);
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "history.csv")).Length);
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
public sealed class AirbenchResumeTests() : ResumeTests(["--model", "airbench94", "--epochs", "3", "--batch-size", "64"], trainPerBatchFile: 64, stepsPerEpoch: 5);
