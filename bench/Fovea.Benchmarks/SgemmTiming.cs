using System.Diagnostics;
using System.Runtime.InteropServices;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// Quick best-of-N GFLOPS table for tuning, faster to iterate with than BenchmarkDotNet:
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --timing [--shapes a,b] [--kc N] [--mc N] [--nc N] [--packa N]</c>.
/// The machine is shared, so each figure is the best of several timed batches.
/// </summary>
internal static class SgemmTiming
{
    private static int _trials = 25;
    private static bool _median;
    private static int[] _threadCounts = [1, 2];

    public static void Run(string[] args)
    {
        string? only = null;
        for (int i = 0; i + 1 < args.Length; i++)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--shapes": only = v; break;
                case "--kc": Engine.KernelOptions = Engine.KernelOptions with { KcTarget = int.Parse(v) }; break;
                case "--kcmax": Engine.KernelOptions = Engine.KernelOptions with { KcMax = int.Parse(v) }; break;
                case "--mc": Engine.KernelOptions = Engine.KernelOptions with { Mc = int.Parse(v) }; break;
                case "--nc": Engine.KernelOptions = Engine.KernelOptions with { Nc = int.Parse(v) }; break;
                case "--packa": Engine.KernelOptions = Engine.KernelOptions with { PackAMinN = int.Parse(v) }; break;
                case "--directb": Engine.KernelOptions = Engine.KernelOptions with { DirectBMaxM = int.Parse(v) }; break;
                case "--ppt": Engine.KernelOptions = Engine.KernelOptions with { PartsPerThread = int.Parse(v) }; break;
                case "--median": _median = v == "1"; break;
                case "--trials": _trials = int.Parse(v); break;
                case "--threads": _threadCounts = v.Split(',').Select(int.Parse).ToArray(); break;
            }
        }
        var o = Engine.KernelOptions;
        Console.WriteLine($"path={Sgemm.ActivePath} kcTarget={o.KcTarget} kcMax={o.KcMax} mc={o.Mc} nc={o.Nc} packA(n>=)={o.PackAMinN}");
        Console.WriteLine($"GFLOPS, best of {_trials} batches of ~15 ms; 'cpu' = flops per CPU-second the process got (per core: ~ the 1-thread figure if 2 threads scale), robust to time-slicing by neighbours");
        Console.WriteLine($"{"shape",-12} {"m",6} {"n",5} {"k",6} {"1 thread",9} {"(cpu)",7} {"2 threads",10} {"(cpu)",7}");
        foreach (var s in SgemmShape.Tutorial)
        {
            if (only is not null && !only.Split(',').Contains(s.Name)) continue;
            var (a, lda, b, ldb, c, _) = s.Allocate();
            var (w1, c1) = _threadCounts.Contains(1) ? Best(s, a, lda, b, ldb, c, 1) : (0, 0);
            var (w2, c2) = _threadCounts.Contains(2) ? Best(s, a, lda, b, ldb, c, 2) : (0, 0);
            Console.WriteLine($"{s.Name,-12} {s.M,6} {s.N,5} {s.K,6} {w1,9:F1} {c1,7:F1} {w2,10:F1} {c2,7:F1}");
        }
    }

    private static (double Wall, double Cpu) Best(SgemmShape s, float[] a, int lda, float[] b, int ldb, float[] c, int threads)
    {
        // Short batches (~15 ms at 200 GFLOPS) and many of them: on a shared machine the best batch is the one
        // that ran undisturbed, which is the figure that says something about the kernel.
        int reps = Math.Max(1, (int)(15e-3 * 200e9 / s.Flops));
        double best = 0, bestCpu = 0;
        var all = new List<double>();
        for (int trial = 0; trial <= _trials; trial++)
        {
            double cpu0 = ProcessCpuSeconds();
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++)
                Sgemm.Multiply(s.M, s.N, s.K, a, lda, s.TransA, b, ldb, s.TransB, c, s.N, threads: threads);
            double seconds = sw.Elapsed.TotalSeconds, cpu = ProcessCpuSeconds() - cpu0;
            if (trial == 0) continue;   // warms up JIT and caches
            best = Math.Max(best, s.Flops * reps / seconds / 1e9);
            all.Add(s.Flops * reps / seconds / 1e9);
            bestCpu = Math.Max(bestCpu, s.Flops * reps / cpu / 1e9);
        }
        all.Sort();
        if (_median) return (all[all.Count / 2], bestCpu);
        return (best, bestCpu);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Seconds, Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    /// <summary>CLOCK_PROCESS_CPUTIME_ID: exact (scheduler-accounted) CPU time of all threads; NaN off Linux.</summary>
    internal static double ProcessCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        ClockGetTime(2, out var t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
