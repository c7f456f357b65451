using System.Diagnostics;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// Best-of-N GFLOPS (2·MACs/s) of the tiled <see cref="Convolution"/> against the whole-batch im2col + one GEMM that
/// Conv2D runs today, for the three passes of the airbench94 and tutorial convolutions:
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --conv [--batch 256] [--threads 2] [--trials 7]
/// [--tile floats] [--splitk floats] [--shapes name,name] [--old 0] [--cpu 1]</c>.
/// <c>--cpu 1</c> reports flops per CPU-second of the process instead of per wall second: on a machine shared with
/// other work, that stays comparable when the threads are time-sliced (for 2 threads, about half the wall rate).
/// The whole-batch kernel gradient is its GEMM alone (Conv2D keeps forward's patches for it); the tiled one
/// unfolds its tiles again, and that time is counted.
/// </summary>
internal static class ConvTiming
{
    private sealed record ConvShape(string Name, ConvGeometry G, int Filters);

    private static readonly ConvShape[] Shapes =
    [
        new("air.whiten", ConvGeometry.Valid(32, 32, 3, 2, 2), 24),
        new("air.b1a", ConvGeometry.Same(31, 31, 24, 3, 3), 64),
        new("air.b1b", ConvGeometry.Same(15, 15, 64, 3, 3), 64),
        new("air.b2a", ConvGeometry.Same(15, 15, 64, 3, 3), 256),
        new("air.b2b", ConvGeometry.Same(7, 7, 256, 3, 3), 256),
        new("air.b3b", ConvGeometry.Same(3, 3, 256, 3, 3), 256),
        new("tut.conv1", ConvGeometry.Valid(32, 32, 3, 3, 3), 32),
        new("tut.conv2", ConvGeometry.Valid(15, 15, 32, 3, 3), 64),
    ];

    private static bool _cpu;

    public static void Run(string[] args)
    {
        int batch = 256, trials = 7, tile = Convolution.DefaultTileFloats;
        bool old = true;
        string? only = null;
        for (int i = 0; i + 1 < args.Length; i++)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--batch": batch = int.Parse(v); break;
                case "--threads": Engine.Threads = int.Parse(v); break;
                case "--trials": trials = int.Parse(v); break;
                case "--tile": tile = int.Parse(v); break;
                case "--splitk": Engine.KernelOptions = Engine.KernelOptions with { SplitKMaxFloats = int.Parse(v) }; break;
                case "--shapes": only = v; break;
                case "--old": old = v != "0"; break;
                case "--cpu": _cpu = v != "0"; break;
                case "--dx": Engine.KernelOptions = Engine.KernelOptions with { FusedInputGradient = v switch { "fused" => true, "gemm" => false, _ => null } }; break;
            }
        }
        Console.WriteLine($"path={Sgemm.ActivePath} threads={Engine.Threads} batch={batch} tile={tile} floats splitK<={Engine.KernelOptions.SplitKMaxFloats} floats; GFLOPS{(_cpu ? " per CPU-second" : "")}, best of {trials}");
        Console.WriteLine($"{"shape",-10} {"in",-10} {"k",-5} {"F",4} | {"fwd",6} {"old",6} | {"dX",6} {"old",6} | {"dW",6} {"old",6} | {"tile MB",7} {"old MB",7}");
        foreach (var s in Shapes)
        {
            if (only is not null && !only.Split(',').Contains(s.Name)) continue;
            Measure(s, batch, trials, tile, old);
        }
    }

    private static void Measure(ConvShape s, int batch, int trials, int tile, bool old)
    {
        var g = s.G;
        int f = s.Filters;
        var rng = new Random(1);
        var x = Fill(rng, batch * g.InputSize);
        var w = Fill(rng, g.PatchSize * f);
        var bias = Fill(rng, f);
        var y = new float[batch * g.OutPixels * f];
        var dz = Fill(rng, y.Length);
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        double flops = 2.0 * batch * g.OutPixels * g.PatchSize * f;

        var plan = new Convolution(g, f, tile);
        double fwd = Best(trials, flops, () => plan.Forward(y, x, w, bias, relu: true, batch));
        double dX = Best(trials, flops, () => plan.BackwardInput(dx, dz, w, batch));
        double dW = Best(trials, flops, () => plan.BackwardKernel(dw, dz, x, batch));
        double tileMb = g.IsPointwise ? 0 : Math.Min(plan.TileImages, batch) * (double)g.OutPixels * g.PatchSize * 4 / 1e6;

        double oFwd = 0, oDx = 0, oDw = 0, oldMb = batch * (double)g.OutPixels * g.PatchSize * 4 / 1e6;
        if (old)
        {
            var whole = new WholeBatch(g, f, batch);
            oFwd = Best(trials, flops, () => whole.Forward(y, x, w, bias));
            oDx = Best(trials, flops, () => whole.BackwardInput(dx, dz, w));
            oDw = Best(trials, flops, () => whole.BackwardKernel(dw, dz));
        }
        string input = $"{g.Height}x{g.Width}x{g.InChannels}";
        string kernel = $"{g.KernelHeight}x{g.KernelWidth}{(g.PadTop + g.PadBottom > 0 ? "s" : "v")}";
        Console.WriteLine($"{s.Name,-10} {input,-10} {kernel,-5} {f,4} | {fwd,6:F0} {oFwd,6:F0} | {dX,6:F0} {oDx,6:F0} | {dW,6:F0} {oDw,6:F0} | {tileMb,7:F0} {oldMb,7:F0}");
    }

    /// <summary>Best rate over <paramref name="trials"/> timed runs after one warm-up: on a shared machine the
    /// fastest run is the one that ran undisturbed.</summary>
    private static double Best(int trials, double flops, Action pass)
    {
        pass();
        double best = double.MaxValue;
        for (int t = 0; t < trials; t++)
        {
            double cpu0 = SgemmTiming.ProcessCpuSeconds();
            var sw = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, _cpu ? SgemmTiming.ProcessCpuSeconds() - cpu0 : sw.Elapsed.TotalSeconds);
        }
        return flops / best / 1e9;
    }

    private static float[] Fill(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)rng.NextDouble() - 0.5f;
        return v;
    }

    /// <summary>Conv2D's approach before the plan: the whole batch's patches unfolded at once, one GEMM per pass.</summary>
    private sealed class WholeBatch(ConvGeometry g, int filters, int batch) : IParallelWork
    {
        private readonly float[] _cols = new float[(long)batch * g.OutPixels * g.PatchSize];
        private float[] _images = [];
        private bool _fold;
        private int Rows => batch * g.OutPixels;

        public void Forward(float[] y, float[] x, float[] w, float[] bias)
        {
            Images(x, fold: false);
            Sgemm.Multiply(Rows, filters, g.PatchSize, _cols, g.PatchSize, false, w, filters, false, y, filters,
                bias: bias, relu: true, threads: Engine.Threads);
        }

        public void BackwardKernel(float[] dw, float[] dz) =>
            Sgemm.Multiply(g.PatchSize, filters, Rows, _cols, g.PatchSize, true, dz, filters, false, dw, filters,
                accumulate: true, threads: Engine.Threads);

        public void BackwardInput(float[] dx, float[] dz, float[] w)
        {
            Sgemm.Multiply(Rows, g.PatchSize, filters, dz, filters, false, w, filters, true, _cols, g.PatchSize, threads: Engine.Threads);
            Images(dx, fold: true);
        }

        private void Images(float[] images, bool fold)
        {
            (_images, _fold) = (images, fold);
            WorkerPool.Shared.Run(this, batch);
        }

        public void Execute(int image)
        {
            var cols = _cols.AsSpan(image * g.OutPixels * g.PatchSize, g.OutPixels * g.PatchSize);
            var img = _images.AsSpan(image * g.InputSize, g.InputSize);
            if (_fold) Im2Col.Fold(img, cols, g);
            else Im2Col.Unfold(cols, img, g);
        }
    }
}
