using System.Diagnostics;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// A process killed with SIGKILL in the middle of a run: the job ends within seconds with one line from fovea naming
/// the process and the way on (mpirun's own block silenced with its --quiet), a non-zero exit code, and a checkpoint
/// from which one process resumes to the model file of an uninterrupted run.
/// </summary>
public partial class DistributedTrainingTests
{
    [MpiFact]
    public void A_killed_process_ends_the_job_with_one_line_and_the_run_resumes_to_the_same_model()
    {
        // 20 steps an epoch: the kill falls in the second epoch, after the first checkpoint.
        string data = new FakeCifar10 { TrainCounts = [256, 256, 256, 256, 256], TestCount = 20 }.WriteArchive(_temp["cifar.tar.gz"]);
        string whole = _temp["whole"], killed = _temp["killed"];
        string[] options = ["train", "--model", "tutorial", "--data", data, "--batch-size", "64", "--epochs", "3", "--seed", "5"];
        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], [.. options, "--out", whole], null);
        Assert.True(code == 0, $"exit {code}: {stderr}{stdout}");

        using var job = StartMpirun(2, [.. options, "--out", killed, "--distributed"], null, "--quiet");
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        string checkpoint = Path.Combine(killed, "checkpoint.safetensors");
        int victim = RankProcessId(job, rank: 1, _temp["home"]);
        var waited = Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && !job.HasExited && waited.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(20);
        // (The output is read only once the job has ended: reading it waits for that.)
        if (job.HasExited || !Directory.Exists($"/proc/{victim}")) Assert.Fail($"the run ended before it could be killed: {errors.Result}{output.Result}");
        using (var kill = Process.Start("kill", ["-KILL", victim.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var sinceKill = Stopwatch.StartNew();
        bool ended = job.WaitForExit(TimeSpan.FromSeconds(30));
        if (!ended) job.Kill(entireProcessTree: true);
        job.WaitForExit();
        string all = errors.Result + output.Result;
        Assert.True(ended && sinceKill.Elapsed < TimeSpan.FromSeconds(10), $"the job went on for {sinceKill.Elapsed.TotalSeconds:F1} s after the kill: {all}");
        Assert.True(job.ExitCode != 0, $"exit code 0 after the kill: {all}");
        string[] lines = [.. all.Split('\n').Where(l => l.Contains("died", StringComparison.Ordinal) || l.Contains("mpirun noticed", StringComparison.Ordinal) || l.StartsWith("-----", StringComparison.Ordinal))];
        Assert.True(lines.Length == 1, $"expected one line about the lost process: {all}");
        Assert.StartsWith("error: process 1 of 2 (pid ", lines[0], StringComparison.Ordinal);
        Assert.Contains($"fovea train --resume {killed}", lines[0], StringComparison.Ordinal);

        (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], ["train", "--resume", killed], null);
        Assert.True(code == 0, $"exit {code}: {stderr}{stdout}");
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(killed, "model.safetensors")));
    }

    /// <summary>The id of the process of rank <paramref name="rank"/> of <paramref name="mpirun"/>'s job: the process
    /// whose environment says that rank and this test's <c>FOVEA_HOME</c>.</summary>
    private static int RankProcessId(Process mpirun, int rank, string home)
    {
        string[] marks = [$"OMPI_COMM_WORLD_RANK={rank}", $"FOVEA_HOME={home}"];
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60) && !mpirun.HasExited)
        {
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int id) || id == Environment.ProcessId) continue;
                try
                {
                    string[] environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                    if (marks.All(environment.Contains)) return id;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ended while it was read, or is not ours to read.
                }
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no process of rank {rank} in mpirun {mpirun.Id}'s job (mpirun exited: {mpirun.HasExited})");
    }
}
