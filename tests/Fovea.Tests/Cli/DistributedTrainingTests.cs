using System.Diagnostics;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>mpirun -np P fovea train --distributed</c> writes the model file of <c>fovea train</c>, byte for byte, on 2 and 4
/// processes (oversubscribed on small machines), for a model without BatchNorm and one with it; a run stopped on 2
/// processes resumes on 1 to the same file. Skipped, with the reason, where Open MPI's mpirun is not installed.
/// </summary>
public partial class DistributedTrainingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Data() => new FakeCifar10 { TrainCounts = [104, 104, 104, 104, 104], TestCount = 20 }.WriteArchive(_temp["cifar.tar.gz"]);

    /// <summary>Steps of four shards, so that 4 processes train one each: the tutorial's two steps of 128 (shards of 32),
    /// airbench94's one of 512 (shards of 128: its smallest convolution output is 3×3).</summary>
    private static string[] Options(string model, string data, string run)
    {
        var (batch, limit) = model == "airbench94" ? (512, 512) : (128, 256);
        return ["train", "--model", model, "--data", data, "--limit", $"{limit}", "--batch-size", $"{batch}", "--epochs", "1", "--seed", "5", "--out", run];
    }

    [MpiTheory]
    [InlineData("tutorial")]
    [InlineData("airbench94")]
    public void Two_and_four_processes_write_the_model_of_one(string model)
    {
        string data = Data(), single = _temp["single"];
        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], Options(model, data, single), null);
        Assert.True(code == 0, $"exit {code}: {stderr}{stdout}");
        byte[] expected = File.ReadAllBytes(Path.Combine(single, "model.safetensors"));
        foreach (int processes in new[] { 2, 4 })
        {
            string run = _temp[$"np{processes}"];
            var result = Mpirun(processes, [.. Options(model, data, run), "--distributed"]);
            Assert.True(result.ExitCode == 0, $"-np {processes}: exit {result.ExitCode}: {result.Stderr}{result.Stdout}");
            Assert.Equal(expected, File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
        }
    }

    [MpiFact]
    public void A_run_stopped_on_two_processes_resumes_on_one_to_the_same_model()
    {
        string data = Data(), whole = _temp["whole"], stopped = _temp["stopped"];
        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], Options("tutorial", data, whole), null);
        Assert.True(code == 0, $"exit {code}: {stderr}{stdout}");
        var interrupted = Mpirun(2, [.. Options("tutorial", data, stopped), "--distributed"], new() { ["FOVEA_STOP_AFTER_STEP"] = "1" });
        Assert.True(interrupted.ExitCode == 130, $"exit {interrupted.ExitCode}: {interrupted.Stderr}{interrupted.Stdout}");
        (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], ["train", "--resume", stopped], null);
        Assert.True(code == 0, $"exit {code}: {stderr}{stdout}");
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model.safetensors")));
    }

    private (int ExitCode, string Stdout, string Stderr) Mpirun(int processes, string[] args, Dictionary<string, string>? environment = null)
    {
        using var p = StartMpirun(processes, args, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun -np {processes} fovea {string.Join(' ', args)} did not finish in 5 minutes");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts <c>mpirun --oversubscribe -np P</c> (plus <paramref name="mpirunOptions"/>) on the built program.</summary>
    private Process StartMpirun(int processes, string[] args, Dictionary<string, string>? environment = null, params string[] mpirunOptions)
    {
        var info = new ProcessStartInfo(MpiFactAttribute.Mpirun!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[.. mpirunOptions, "--oversubscribe", "-np", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), FoveaProcess.DotnetHost(), FoveaProcess.Dll, .. args])
            info.ArgumentList.Add(a);
        foreach (string name in info.Environment.Keys.Where(k => k.StartsWith("FOVEA_", StringComparison.OrdinalIgnoreCase)).ToArray())
            info.Environment.Remove(name);
        info.Environment["FOVEA_HOME"] = _temp["home"];
        // Root (CI) is refused by Open MPI unless told.
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        foreach (var (name, value) in environment ?? []) info.Environment[name] = value;
        return Process.Start(info)!;
    }
}

/// <summary>A Fact that runs where Open MPI's mpirun is on the PATH (CI installs openmpi-bin), skipped with the reason elsewhere.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>mpirun's path, or null.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists);

    public MpiFactAttribute()
    {
        if (Mpirun is null) Skip = "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)";
    }
}

/// <summary>A Theory that runs where mpirun is on the PATH, skipped with the reason elsewhere.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiFactAttribute.Mpirun is null) Skip = "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)";
    }
}
