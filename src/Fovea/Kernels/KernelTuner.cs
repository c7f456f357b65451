using System.Diagnostics;

namespace Fovea.Kernels;

/// <summary>
/// The measurement behind <see cref="KernelTuning"/>, at the vector path this process runs: each candidate SGEMM
/// blocking timed on the models' GEMM shapes, best of several passes each. A process measures one path only
/// (<see cref="CpuPath.Active"/> is fixed at start), so <c>fovea tune</c> runs one process per path and
/// <see cref="Choose"/> compares them.
/// </summary>
public static class KernelTuner
{
    /// <summary>An SGEMM blocking: <see cref="KernelOptions.Mc"/>, <see cref="KernelOptions.KcMax"/>, <see cref="KernelOptions.KcTarget"/>.</summary>
    public sealed record Blocking(int Mc, int KcMax, int KcTarget);

    /// <summary>One measured candidate: a path, a blocking, and its GFLOPS over all <see cref="Shapes"/>.</summary>
    public sealed record Result(string VectorPath, Blocking Blocking, double Gflops);

    /// <summary>The defaults first (<see cref="Choose"/> keeps them unless something else is clearly faster), then
    /// larger and smaller A blocks and deeper and shallower k blocks.</summary>
    public static IReadOnlyList<Blocking> Candidates { get; } =
    [
        new(KernelOptions.Default.Mc, KernelOptions.Default.KcMax, KernelOptions.Default.KcTarget),
        new(240, 384, 256), new(72, 384, 256), new(120, 512, 256), new(120, 256, 192),
    ];

    /// <summary>(m, n, k) as the zoo's layers run them: an im2col convolution of 24 channels into 64 (airbench94's
    /// first block, 32 images), a 3×3 of 64 into 256, one Winograd position's product at 256 channels, and a
    /// 3×3 of 256 into 256 on 7×7 maps at batch 16.</summary>
    public static IReadOnlyList<(int M, int N, int K)> Shapes { get; } = [(4096, 64, 216), (2048, 256, 576), (128, 256, 256), (784, 256, 2304)];

    /// <summary>Times every candidate on every shape for about <paramref name="secondsPerCase"/> each and returns
    /// their GFLOPS (total multiply-adds ×2 over the sum of each shape's best time). The candidates take turns over
    /// several rounds, so a burst of a neighbour's load slows them alike rather than one. Restores the kernel options.</summary>
    public static IReadOnlyList<Result> Measure(double secondsPerCase, int rounds = 4)
    {
        var saved = Engine.KernelOptions;
        var rng = new Random(1);
        var buffers = Shapes.Select(s => (A: Fill(rng, s.M * s.K), B: Fill(rng, s.K * s.N), C: new float[s.M * s.N])).ToArray();
        var best = new double[Candidates.Count, Shapes.Count];
        for (int c = 0; c < Candidates.Count; c++)
            for (int i = 0; i < Shapes.Count; i++) best[c, i] = double.MaxValue;
        try
        {
            for (int round = 0; round < rounds; round++)
                for (int c = 0; c < Candidates.Count; c++)
                {
                    var b = Candidates[c];
                    Engine.KernelOptions = saved with { Mc = b.Mc, KcMax = b.KcMax, KcTarget = b.KcTarget };
                    for (int i = 0; i < Shapes.Count; i++)
                    {
                        var (m, n, k) = Shapes[i];
                        var (a, bm, cm) = buffers[i];
                        best[c, i] = Math.Min(best[c, i], Best(() => Sgemm.Multiply(m, n, k, a, k, false, bm, n, false, cm, n, threads: Engine.Threads), secondsPerCase / rounds));
                    }
                }
        }
        finally
        {
            Engine.KernelOptions = saved;
        }
        double flops = Shapes.Sum(s => 2.0 * s.M * s.N * s.K);
        return Candidates.Select((b, c) => new Result(CpuPath.Name, b, flops / Enumerable.Range(0, Shapes.Count).Sum(i => best[c, i]) / 1e9)).ToList();
    }

    /// <summary>
    /// The fastest result, unless it beats the first of <paramref name="results"/> (the widest path's defaults)
    /// by less than <paramref name="margin"/>: a choice that changes the bits should be clearly worth it, and one
    /// within the machine's noise would flip from one measurement to the next.
    /// </summary>
    public static Result Choose(IReadOnlyList<Result> results, double margin = 0.03)
    {
        if (results.Count == 0) throw new ArgumentException("no results to choose from", nameof(results));
        var best = results.MaxBy(r => r.Gflops)!;
        return best.Gflops > results[0].Gflops * (1 + margin) ? best : results[0];
    }

    /// <summary>Best seconds of one call over repeated calls for about <paramref name="seconds"/>, after a warm-up.</summary>
    private static double Best(Action call, double seconds)
    {
        call();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        do
        {
            var one = Stopwatch.StartNew();
            call();
            best = Math.Min(best, one.Elapsed.TotalSeconds);
        }
        while (total.Elapsed.TotalSeconds < seconds);
        return best;
    }

    private static float[] Fill(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)rng.NextDouble() - 0.5f;
        return v;
    }
}
