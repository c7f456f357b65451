using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// The machine's multiply-add ceiling at the width the kernels run (<see cref="Sgemm.ActivePath"/>): twelve
/// independent FMA chains in registers, no memory traffic, on every thread at once. A speed figure divided by this
/// reads the same on machines whose peers differ (a Zen 4 core runs 512-bit FMAs as two halves, a Zen 5 core does
/// not), so figures from different machines can be set side by side.
/// </summary>
public static class FmaPeak
{
    /// <summary>
    /// The best of <paramref name="trials"/> measurements, in GFLOPS (two FLOPs per multiply-add), with
    /// <paramref name="threads"/> threads of the shared pool; each trial runs about <paramref name="seconds"/>.
    /// </summary>
    public static double Measure(int threads, double seconds = 0.2, int trials = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        var work = new Chains();
        // Calibrate the iteration count on one short run so each trial lasts about the time asked for.
        work.Iterations = 100_000;
        var sw = Stopwatch.StartNew();
        work.Execute(0);
        work.Iterations = Math.Max(100_000, (long)(work.Iterations * seconds / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)));
        double best = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            sw.Restart();
            if (threads == 1) work.Execute(0);
            else WorkerPool.Shared.Run(work, threads);
            double flops = threads * work.Iterations * (double)Chains.Count * CpuPath.VectorWidth * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private sealed class Chains : IParallelWork
    {
        public const int Count = 12;
        public long Iterations;
        private readonly float[] _sink = new float[64 * 64];

        public void Execute(int part)
        {
            var run = new ChainRun { Iterations = Iterations, Sink = _sink, Part = part };
            CpuPath.Run(ref run);
        }
    }

    private struct ChainRun : IVectorWork
    {
        public long Iterations;
        public float[] Sink;
        public int Part;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public readonly unsafe void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged
        {
            TVec x = TOps.Broadcast(0.999999f), y = TOps.Broadcast(1e-7f);
            TVec c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
            for (long i = 0; i < Iterations; i++)
            {
                c0 = TOps.MultiplyAdd(c0, x, y); c1 = TOps.MultiplyAdd(c1, x, y);
                c2 = TOps.MultiplyAdd(c2, x, y); c3 = TOps.MultiplyAdd(c3, x, y);
                c4 = TOps.MultiplyAdd(c4, x, y); c5 = TOps.MultiplyAdd(c5, x, y);
                c6 = TOps.MultiplyAdd(c6, x, y); c7 = TOps.MultiplyAdd(c7, x, y);
                c8 = TOps.MultiplyAdd(c8, x, y); c9 = TOps.MultiplyAdd(c9, x, y);
                c10 = TOps.MultiplyAdd(c10, x, y); c11 = TOps.MultiplyAdd(c11, x, y);
            }
            var sum = TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7)));
            sum = TOps.Add(sum, TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11)));
            // Kept so the chains are not optimised away; each part its own cache line range.
            fixed (float* p = &Sink[(Part % 64) * 64]) TOps.Store(p, sum);
        }
    }
}
