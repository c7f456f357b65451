using System.Globalization;
using System.Text;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// SIGTERM ends a training run as Ctrl+C does: the current step ends, a checkpoint is written and the program exits
/// 130. Where the signal lands does not matter here (the run is far from done whenever it comes); that a stop after
/// a given step resumes bit for bit is <see cref="ResumeTests"/>'s part.
/// </summary>
public class InterruptionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string[] Settings(string run) =>
        ["train", "--data", new FakeCifar10 { TrainCounts = [16, 16, 16, 16, 16], TestCount = 10 }.WriteArchive(_temp["cifar.tar.gz"]),
         "--epochs", "500", "--batch-size", "16", "--threads", "1", "--out", run];

    /// <summary>Synchronous, as the other process tests are: an awaited poll can wait minutes for a thread of xunit's own.</summary>
    [Fact]
    public void Sigterm_checkpoints_and_exits_130()
    {
        string run = _temp["run"], checkpoint = Path.Combine(run, "checkpoint.safetensors");
        using var fovea = FoveaProcess.Start(_temp["home"], Settings(run));
        var (stdout, stderr) = (new StringBuilder(), new StringBuilder());
        fovea.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        fovea.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        fovea.BeginOutputReadLine();
        fovea.BeginErrorReadLine();
        try
        {
            // The first checkpoint (end of epoch 1) says training is under way, with 499 epochs to go.
            while (!File.Exists(checkpoint) && !fovea.WaitForExit(10)) { }
            Assert.False(fovea.HasExited, $"exited before the first checkpoint: {stderr}");
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", fovea.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(fovea.WaitForExit(TimeSpan.FromMinutes(1)), "still running a minute after SIGTERM");
            fovea.WaitForExit(); // flushes the redirected streams
        }
        finally
        {
            if (!fovea.HasExited) fovea.Kill(entireProcessTree: true);
        }

        string errors = stderr.ToString();
        Assert.True(fovea.ExitCode == 130, $"exit {fovea.ExitCode}: {errors}{stdout}");
        Assert.Matches(@"interrupted after epoch \d+, step \d+: checkpoint saved in ", errors);
        Assert.Contains($"resume with: fovea train --resume {run}", errors);
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("ten")]
    public void A_bad_stop_step_is_refused_in_one_line(string value)
    {
        var (code, _, stderr) = FoveaProcess.Run(_temp["home"], Settings(_temp["run"]), new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = value });
        Assert.Equal(2, code);
        Assert.Equal($"error: FOVEA_STOP_AFTER_STEP must be a positive number of steps; got '{value}'", stderr.Trim());
    }
}
