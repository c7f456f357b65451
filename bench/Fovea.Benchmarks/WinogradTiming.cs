using System.Diagnostics;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// im2col + SGEMM against Winograd F(2×2, 3×3), side by side, on the 3×3 stride-1 convolutions of the zoo models,
/// forward (ReLU and bias fused), input gradient and kernel gradient: best-of-N milliseconds of each and their ratio (im2col time over
/// Winograd time: above 1, Winograd is faster), plus the choice <see cref="Convolution.PrefersWinograd"/> makes (wino-train: <see cref="Convolution.PrefersWinogradTraining"/> alone):
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --winograd [--batch 256] [--threads 1]
/// [--trials 5] [--shapes name,name] [--chunk floats] [--inference 1]</c>. <c>--inference 1</c> times the forward pass
/// as inference runs it: the packed kernel and Winograd's transformed kernel kept between calls, and adds F(4×4, 3×3)
/// against F(2×2, 3×3). <c>--training-f4 1</c> times instead F(2×2, 3×3) against F(4×4, 3×3) as training runs them
/// (the kernel transformed in every pass; <c>--chunk4 floats</c>: F(4×4)'s budget), ratio = F(2×2) / F(4×4).
/// The two algorithms alternate trial by trial, so a neighbour's load hits both alike. <c>--direct-b-max-m N</c> and
/// <c>--pack-a-min-n N</c> set the SGEMM's <see cref="KernelOptions.DirectBMaxM"/> and <see cref="KernelOptions.PackAMinN"/>.
/// <c>--error 1</c> measures rounding instead of time (WinogradTrainingError.cs).
/// </summary>
internal static partial class WinogradTiming
{
    private sealed record Shape(string Name, ConvGeometry G, int Filters);

    private static readonly Shape[] Shapes =
    [
        // airbench94 (widths 64, 256, 256 after the 2×2 whitening: 31, 15, 7 and 3 pixels)
        new("air.b1a", ConvGeometry.Same(31, 31, 24, 3, 3), 64),
        new("air.b1b", ConvGeometry.Same(15, 15, 64, 3, 3), 64),
        new("air.b2a", ConvGeometry.Same(15, 15, 64, 3, 3), 256),
        new("air.b2b", ConvGeometry.Same(7, 7, 256, 3, 3), 256),
        new("air.b3b", ConvGeometry.Same(3, 3, 256, 3, 3), 256),
        // the tutorial CNN ('valid')
        new("tut.conv1", ConvGeometry.Valid(32, 32, 3, 3, 3), 32),
        new("tut.conv2", ConvGeometry.Valid(15, 15, 32, 3, 3), 64),
        // resnet9 (width 32)
        new("res.prep", ConvGeometry.Same(32, 32, 3, 3, 3), 32),
        new("res.l1", ConvGeometry.Same(32, 32, 32, 3, 3), 64),
        new("res.r1", ConvGeometry.Same(16, 16, 64, 3, 3), 64),
        new("res.l2", ConvGeometry.Same(16, 16, 64, 3, 3), 128),
        new("res.l3", ConvGeometry.Same(8, 8, 128, 3, 3), 256),
        new("res.r3", ConvGeometry.Same(4, 4, 256, 3, 3), 256),
        // the ImageNet ResNet-18 at 224 px: each stage's stride-1 3×3 layer
        new("r18.l1", ConvGeometry.Same(56, 56, 64, 3, 3), 64),
        new("r18.l2", ConvGeometry.Same(28, 28, 128, 3, 3), 128),
        new("r18.l3", ConvGeometry.Same(14, 14, 256, 3, 3), 256),
        new("r18.l4", ConvGeometry.Same(7, 7, 512, 3, 3), 512),
    ];

    private static bool _inference, _trainingF4, _error;
    private static int _chunk4 = WinogradConvolution.DefaultTileFloats;

    public static void Run(string[] args)
    {
        int batch = 256, trials = 5, chunk = WinogradConvolution.DefaultTileFloats;
        string? only = null;
        for (int i = 0; i + 1 < args.Length; i++)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--batch": batch = int.Parse(v); break;
                case "--threads": Engine.Threads = int.Parse(v); break;
                case "--trials": trials = int.Parse(v); break;
                case "--shapes": only = v; break;
                case "--chunk": chunk = int.Parse(v); break;
                case "--inference": _inference = v == "1"; break;
                case "--training-f4": _trainingF4 = v == "1"; break;
                case "--chunk4": _chunk4 = int.Parse(v); break;
                case "--error": _error = v == "1"; break;
                case "--direct-b-max-m": Engine.KernelOptions = Engine.KernelOptions with { DirectBMaxM = int.Parse(v) }; break;
                case "--pack-a-min-n": Engine.KernelOptions = Engine.KernelOptions with { PackAMinN = int.Parse(v) }; break;
            }
        }
        if (_error)
        {
            MeasureErrors(only, batch);
            return;
        }
        Console.WriteLine($"path={Sgemm.ActivePath} threads={Engine.Threads} batch={batch} chunk={chunk} floats; best of {trials}, ms; ratio = {(_trainingF4 ? "F(2×2) / F(4×4)" : "im2col / winograd")}");
        if (!_trainingF4) Console.WriteLine($"{"shape",-10} {"in",-10} {"pad",-4} {"F",4} | {"fwd i2c",8} {"wino",8} {"ratio",6} | {"dX i2c",8} {"wino",8} {"ratio",6} | {"dW i2c",8} {"wino",8} {"ratio",6} | rule");
        foreach (var s in Shapes)
        {
            if (only is not null && !only.Split(',').Contains(s.Name)) continue;
            Measure(s, batch, trials, chunk);
        }
    }

    private static void Measure(Shape s, int batch, int trials, int chunk)
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
        if (_trainingF4)
        {
            MeasureTrainingF4(s, batch, trials, chunk, x, w, dz);
            return;
        }
        var im2col = new Convolution(g, f, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col);
        var winograd = new Convolution(g, f, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Winograd, chunk);
        // Inference keeps what each path derived from the kernel (packed panels, Winograd's transform) between calls.
        bool keep = false;
        var (fwdI, fwdW) = Best(trials, () => im2col.Forward(y, x, w, bias, relu: true, batch, keep && _inference, training: !_inference),
                                        () => winograd.Forward(y, x, w, bias, relu: true, batch, keep && _inference, training: !_inference),
                                () => keep = true);
        var (dxI, dxW) = Best(trials, () => im2col.BackwardInput(dx, dz, w, batch),
                                      () => winograd.BackwardInput(dx, dz, w, batch));
        var dw = new float[w.Length];
        var (dwI, dwW) = Best(trials, () => im2col.BackwardKernel(dw, dz, x, batch),
                                      () => winograd.BackwardKernel(dw, dz, x, batch));
        string f4 = "";
        if (_inference)
        {
            // F(4×4, 3×3) against F(2×2, 3×3), both keeping their transformed kernels.
            var plan4 = new WinogradConvolution(g, f, chunk, outputTile: 4);
            keep = false;
            var (fwd2, fwd4) = Best(trials, () => winograd.Forward(y, x, w, bias, relu: true, batch, keep, training: false),
                                            () => plan4.Forward(y, x, w, bias, relu: true, batch, keep), () => keep = true);
            f4 = $" | F2 {fwd2,8:F3} F4 {fwd4,8:F3} {fwd2 / fwd4,6:F2} rule {(Convolution.PrefersWinogradF4(g, f) ? "F4" : "F2")}";
        }
        string input = $"{g.Height}x{g.Width}x{g.InChannels}";
        string pad = g.PadTop + g.PadBottom > 0 ? "same" : "vald";
        string rule = Convolution.PrefersWinograd(g, f) ? "winograd" : Convolution.PrefersWinogradTraining(g, f) ? "wino-train" : "im2col";
        Console.WriteLine($"{s.Name,-10} {input,-10} {pad,-4} {f,4} | {fwdI,8:F3} {fwdW,8:F3} {fwdI / fwdW,6:F2} | {dxI,8:F3} {dxW,8:F3} {dxI / dxW,6:F2} | {dwI,8:F3} {dwW,8:F3} {dwI / dwW,6:F2} | {rule}{f4}");
    }

    /// <summary>Training's three passes by F(2×2, 3×3) and by F(4×4, 3×3), each transforming its kernel in every pass.</summary>
    private static void MeasureTrainingF4(Shape s, int batch, int trials, int chunk, float[] x, float[] w, float[] dz)
    {
        var g = s.G;
        int f = s.Filters;
        var y = new float[dz.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var f2 = new WinogradConvolution(g, f, chunk);
        var f4 = new WinogradConvolution(g, f, _chunk4, outputTile: 4, training: true);
        var (fwd2, fwd4) = Best(trials, () => f2.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch),
                                        () => f4.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch));
        var (dx2, dx4) = Best(trials, () => f2.BackwardInput(dx, dz, w, batch), () => f4.BackwardInput(dx, dz, w, batch));
        var (dw2, dw4) = Best(trials, () => f2.BackwardKernel(dw, dz, x, batch), () => f4.BackwardKernel(dw, dz, x, batch));
        string input = $"{g.Height}x{g.Width}x{g.InChannels}";
        Console.WriteLine($"{s.Name,-10} {input,-10} {f,4} | F2/F4 fwd {fwd2,8:F3} {fwd4,8:F3} {fwd2 / fwd4,6:F2} | dX {dx2,8:F3} {dx4,8:F3} {dx2 / dx4,6:F2} | dW {dw2,8:F3} {dw4,8:F3} {dw2 / dw4,6:F2} | training rule {(Convolution.PrefersWinogradF4Training(g, f) ? "F4" : "F2")}");
    }

    /// <summary>Best wall time in ms of each pass over <paramref name="trials"/> alternating runs, after a warm-up;
    /// a pass shorter than 20 ms is repeated within a trial so the timer resolves it.</summary>
    private static (double A, double B) Best(int trials, Action a, Action b, Action? warmed = null)
    {
        a();
        b();
        warmed?.Invoke();
        var sw = Stopwatch.StartNew();
        a();
        int reps = Math.Max(1, (int)(0.02 / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)));
        double bestA = double.MaxValue, bestB = double.MaxValue;
        for (int t = 0; t < trials; t++)
        {
            bestA = Math.Min(bestA, Time(a, reps));
            bestB = Math.Min(bestB, Time(b, reps));
        }
        return (bestA, bestB);
    }

    private static double Time(Action pass, int reps)
    {
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) pass();
        return sw.Elapsed.TotalMilliseconds / reps;
    }

    private static float[] Fill(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)rng.NextDouble() - 0.5f;
        return v;
    }
}
