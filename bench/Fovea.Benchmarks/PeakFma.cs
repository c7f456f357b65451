using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// The machine's FMA ceiling: 12 independent Vector512 FMA chains in registers, no memory traffic
/// (<c>--peak</c>). 12 chains cover FMA latency × pipes, so this is what a perfect micro-kernel could reach.
/// </summary>
internal sealed class PeakFma : IParallelWork
{
    private const long Iterations = 20_000_000;
    private readonly float[] _sink = new float[2 * 16];

    public static void Run()
    {
        if (!Avx512F.IsSupported) { Console.WriteLine("peak: no AVX-512"); return; }
        var work = new PeakFma();
        foreach (int threads in new[] { 1, 2 })
        {
            double best = 0;
            for (int trial = 0; trial < 6; trial++)
            {
                var sw = Stopwatch.StartNew();
                if (threads == 1) work.Execute(0);
                else WorkerPool.Shared.Run(work, threads);
                double flops = threads * Iterations * 12.0 * 16 * 2;
                best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
            }
            Console.WriteLine($"peak FMA, {threads} thread(s): {best:F1} GFLOPS");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Execute(int part)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
        for (long i = 0; i < Iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, x, y); c1 = Avx512F.FusedMultiplyAdd(c1, x, y);
            c2 = Avx512F.FusedMultiplyAdd(c2, x, y); c3 = Avx512F.FusedMultiplyAdd(c3, x, y);
            c4 = Avx512F.FusedMultiplyAdd(c4, x, y); c5 = Avx512F.FusedMultiplyAdd(c5, x, y);
            c6 = Avx512F.FusedMultiplyAdd(c6, x, y); c7 = Avx512F.FusedMultiplyAdd(c7, x, y);
            c8 = Avx512F.FusedMultiplyAdd(c8, x, y); c9 = Avx512F.FusedMultiplyAdd(c9, x, y);
            c10 = Avx512F.FusedMultiplyAdd(c10, x, y); c11 = Avx512F.FusedMultiplyAdd(c11, x, y);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        sum.CopyTo(_sink, part * 16);
    }
}
