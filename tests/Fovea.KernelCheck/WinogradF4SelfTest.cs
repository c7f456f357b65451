namespace Fovea.Kernels;

/// <summary>
/// Inference's Winograd F(4×4, 3×3) against the direct convolution in double, on the instruction-set path this process
/// runs: channel and filter counts that leave 512-bit, 256-bit, 128-bit and scalar tails, partial tiles, asymmetric
/// padding, bias, ReLU and a residual. F(4×4)'s kernel transform is not exact on integers, so the bound is on
/// rounding: 4·(9·C + 36)·2⁻²⁴ of Σ|terms| (a wrong tap or sign is off by the order of Σ|terms|).
/// </summary>
internal static class WinogradF4SelfTest
{
    public static bool Run(out string detail)
    {
        (ConvGeometry G, int Filters, int Batch)[] cases =
        [
            (ConvGeometry.Same(9, 7, 29, 3, 3), 27, 2),
            (ConvGeometry.Same(8, 8, 33, 3, 3), 17, 1),
            (ConvGeometry.Padded(6, 9, 7, 3, 3, 1, 1, 0, 2, 1, 0), 3, 3),
            (ConvGeometry.Valid(10, 5, 64, 3, 3), 40, 1),
        ];
        var rng = new Random(11);
        foreach (var (g, f, n) in cases)
        {
            var x = Floats(rng, n * g.InputSize);
            var w = Floats(rng, g.PatchSize * f);
            var bias = Floats(rng, f);
            var residual = Floats(rng, n * g.OutPixels * f);
            var y = new float[residual.Length];
            new WinogradConvolution(g, f, outputTile: 4).Forward(y, x, w, bias, relu: true, n, residual: residual);
            var reference = new float[y.Length];
            var scale = new float[y.Length];
            ConvolutionReference.Forward(reference, x, w, bias, relu: false, n, g, f);
            ConvolutionReference.Forward(scale, Abs(x), Abs(w), Abs(bias), relu: false, n, g, f);
            float tolerance = 4 * (9 * g.InChannels + 36) * MathF.Pow(2, -24);
            for (int i = 0; i < y.Length; i++)
            {
                float expected = Math.Max(reference[i] + residual[i], 0f), bound = tolerance * (scale[i] + Math.Abs(residual[i]));
                if (!(Math.Abs(y[i] - expected) <= bound))
                {
                    detail = $"FAIL winograd F(4×4) {g} filters {f} batch {n}: output {i} is {y[i]}, expected {expected} ± {bound}";
                    return false;
                }
            }
        }
        detail = "ok winograd F(4×4)";
        return true;
    }

    private static float[] Floats(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)rng.NextDouble() * 2 - 1;
        return v;
    }

    private static float[] Abs(float[] v) => Array.ConvertAll(v, MathF.Abs);
}
