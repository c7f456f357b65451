using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// <c>--winograd --error 1 [--batch 8] [--shapes air.b1b,...]</c>: how far training's three passes by im2col, by
/// F(2×2, 3×3) and by F(4×4, 3×3) land from a double-precision reference, on inputs shaped like a trained network's
/// (GELU of unit normals in, kernels drawn as PyTorch's default, unit-normal output gradients): the RMS error and the
/// largest error, each over the reference's RMS. Winograd's error depends on its transforms' constants far more than on
/// the data, so these ratios say how much rounding each tile size adds to each pass.
/// </summary>
internal static partial class WinogradTiming
{
    private static void MeasureErrors(string? only, int batch)
    {
        Console.WriteLine($"path={Sgemm.ActivePath} batch={batch}; error RMS / reference RMS (largest error / reference RMS)");
        Console.WriteLine($"{"shape",-10} {"pass",-5} | {"im2col",-21} | {"F(2x2)",-21} | {"F(4x4)",-21}");
        foreach (var s in Shapes)
        {
            if (only is not null && !only.Split(',').Contains(s.Name)) continue;
            if (!WinogradConvolution.Supports(s.G)) continue;
            var g = s.G;
            int f = s.Filters;
            var rng = new Rng(5);
            float[] x = new float[batch * g.InputSize], w = new float[g.PatchSize * f], dz = new float[batch * g.OutPixels * f];
            for (int i = 0; i < x.Length; i++) { double z = Normal(rng); x[i] = (float)(0.5 * z * (1 + Erf(z / Math.Sqrt(2)))); }
            double bound = 1 / Math.Sqrt(g.PatchSize);
            for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            for (int i = 0; i < dz.Length; i++) dz[i] = (float)Normal(rng);

            var reference = (Y: new float[dz.Length], Dx: new float[x.Length], Dw: new float[w.Length]);
            ConvolutionReference.Forward(reference.Y, x, w, ReadOnlySpan<float>.Empty, false, batch, g, f);
            ConvolutionReference.BackwardInput(reference.Dx, dz, w, batch, g, f);
            ConvolutionReference.BackwardKernel(reference.Dw, dz, x, batch, g, f);

            var im2col = new Convolution(g, f, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col);
            var f2 = new WinogradConvolution(g, f);
            var f4 = new WinogradConvolution(g, f, outputTile: 4, training: true);
            var results = new List<(float[] Y, float[] Dx, float[] Dw)>();
            foreach (int plan in new[] { 0, 2, 4 })
            {
                float[] y = new float[dz.Length], dx = new float[x.Length], dw = new float[w.Length];
                if (plan == 0)
                {
                    im2col.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch);
                    im2col.BackwardInput(dx, dz, w, batch);
                    im2col.BackwardKernel(dw, dz, x, batch);
                }
                else
                {
                    var wino = plan == 2 ? f2 : f4;
                    wino.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch);
                    wino.BackwardInput(dx, dz, w, batch);
                    wino.BackwardKernel(dw, dz, x, batch);
                }
                results.Add((y, dx, dw));
            }
            foreach (var (pass, pick) in new (string, Func<(float[] Y, float[] Dx, float[] Dw), float[]>)[] { ("fwd", r => r.Y), ("dX", r => r.Dx), ("dW", r => r.Dw) })
            {
                var want = pick(reference);
                string Cell(float[] got)
                {
                    double rms = 0, err = 0, worst = 0;
                    for (int i = 0; i < want.Length; i++)
                    {
                        double e = (double)got[i] - want[i];
                        rms += (double)want[i] * want[i];
                        err += e * e;
                        worst = Math.Max(worst, Math.Abs(e));
                    }
                    rms = Math.Sqrt(rms / want.Length);
                    return $"{Math.Sqrt(err / want.Length) / rms,9:E2} ({worst / rms,9:E2})";
                }
                Console.WriteLine($"{s.Name,-10} {pass,-5} | {Cell(pick(results[0]))} | {Cell(pick(results[1]))} | {Cell(pick(results[2]))}");
            }
        }
    }

    private static double Normal(Rng rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Abramowitz and Stegun 7.1.26 (|error| below 1.5e-7): enough to shape the inputs.</summary>
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
