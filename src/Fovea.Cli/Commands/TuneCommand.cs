using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fovea.Kernels;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea tune</c>: measures which vector path and SGEMM blocking run fastest on this machine and keeps them in
/// <c>~/.fovea/tuning/CPU.json</c>, which every later fovea process applies before its first kernel runs. Each
/// path is measured in a process of its own (a process runs one path), started as this program with
/// <c>--probe</c>.
/// </summary>
internal static class TuneCommand
{
    private static readonly Option<double> Seconds = new("--seconds") { Description = "Timing per candidate and shape", DefaultValueFactory = _ => 0.3 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Measure and print, but keep the file as it is" };
    private static readonly Option<bool> Probe = new("--probe") { Description = "Measure this process's path only and print one line per candidate (what tune runs per path)", Hidden = true };

    public static Command Create()
    {
        var command = new Command("tune", "Measure the fastest vector width and GEMM blocking for this CPU and keep them in ~/.fovea/tuning")
        {
            Seconds, Threads, DryRun, Probe,
        };
        command.SetAction(parse => FoveaCli.Guard(parse, _ => Run(parse)));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        double seconds = parse.GetValue(Seconds);
        if (!(seconds > 0) || seconds > 60) throw new FoveaUsageException($"--seconds must be above 0 and at most 60; got {seconds.ToString(CultureInfo.InvariantCulture)}");
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        int threads = Engine.Threads;
        if (parse.GetValue(Probe))
        {
            foreach (var r in KernelTuner.Measure(seconds))
                Console.WriteLine(Line(r));
            return ExitCodes.Success;
        }
        var results = new List<KernelTuner.Result>();
        foreach (var path in PathsToTry())
            results.AddRange(RunProbe(path, seconds, threads));
        Console.WriteLine($"cpu={CpuDescription.Name} threads={threads}");
        foreach (var r in results) Console.WriteLine(Line(r));
        var best = KernelTuner.Choose(results);
        var tuning = new KernelTuning
        {
            Cpu = CpuDescription.Name, Threads = threads, Measured = DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            VectorPath = best.VectorPath, Mc = best.Blocking.Mc, KcMax = best.Blocking.KcMax, KcTarget = best.Blocking.KcTarget,
        };
        string file = KernelTuning.FileForThisMachine;
        if (parse.GetValue(DryRun))
        {
            Console.WriteLine($"chosen: {tuning.Describe()} (--dry-run: {file} unchanged)");
            return ExitCodes.Success;
        }
        tuning.Save(file);
        Console.WriteLine($"chosen: {tuning.Describe()}, written to {file}");
        return ExitCodes.Success;
    }

    private static string Line(KernelTuner.Result r) => string.Create(CultureInfo.InvariantCulture,
        $"probe vector_path={r.VectorPath} mc={r.Blocking.Mc} kc_max={r.Blocking.KcMax} kc_target={r.Blocking.KcTarget} gflops={r.Gflops:F1}");

    /// <summary>The widest path first (the default that others must beat), then the 256-bit path where 512-bit
    /// instructions exist: on a CPU that runs them as two halves, 256-bit code may be as fast.</summary>
    private static IEnumerable<string> PathsToTry()
    {
        yield return CpuPath.NameOf(CpuPath.Widest);
        if (CpuPath.Widest == VectorPath.Avx512) yield return CpuPath.NameOf(VectorPath.Avx2);
    }

    /// <summary>Runs this program as <c>tune --probe</c> on <paramref name="path"/> and reads its lines back.</summary>
    private static List<KernelTuner.Result> RunProbe(string path, double seconds, int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // Under 'dotnet fovea.dll' the process is the host: the program is the entry assembly.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(TuneCommand).Assembly.Location);
        foreach (string a in new[] { "tune", "--probe", "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment[CpuPath.Variable] = path;
        start.Environment[KernelTuning.DisableVariable] = "off";
        using var process = Process.Start(start) ?? throw new FoveaException($"cannot start {start.FileName} to measure the {path} path");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new FoveaException($"measuring the {path} path failed (exit {process.ExitCode}): {FoveaCli.OneLine(error.Result)}");
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        if (results.Count == 0 || results.Any(r => r.VectorPath != path))
            throw new FoveaException($"measuring the {path} path gave no results for it: {FoveaCli.OneLine(output)}");
        return results;
    }

    private static KernelTuner.Result Parse(string line)
    {
        var fields = line.Split(' ').Skip(1).Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        int I(string k) => int.Parse(fields[k], CultureInfo.InvariantCulture);
        return new KernelTuner.Result(fields["vector_path"], new KernelTuner.Blocking(I("mc"), I("kc_max"), I("kc_target")),
            double.Parse(fields["gflops"], CultureInfo.InvariantCulture));
    }
}
