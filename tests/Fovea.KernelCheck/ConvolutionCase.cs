namespace Fovea.Kernels;

/// <summary>
/// One comparison of <see cref="Convolution"/> with <see cref="ConvolutionReference"/> on all three passes, used by
/// the tests and by <see cref="KernelSelfTest"/> (which reruns it on every CPU path). The data are small integers,
/// so every sum is exact in float whatever its order and the fast passes must match the reference bit for bit.
/// </summary>
/// <param name="TileImages">Images per tile (the plan's budget is set to exactly that many patch matrices), or 0 for the
/// default budget; for Winograd, chunks of 3·TileImages 2×2 tiles, which cut images anywhere.</param>
/// <param name="Algorithm">Forces im2col or Winograd; Winograd's transforms hold only ±1, ±½ and sums, so on small
/// integers it is exact too. Inference stays on F(2×2, 3×3) here: F(4×4)'s kernel transform has sixths (checked
/// within a rounding bound by <see cref="WinogradF4SelfTest"/>).</param>
internal readonly record struct ConvolutionCase(ConvGeometry G, int Filters, int Batch, int TileImages, bool Bias, bool Relu,
                                                ConvolutionAlgorithm Algorithm = ConvolutionAlgorithm.Auto)
{
    public bool Check(Random rng, out string detail)
    {
        var g = G;
        int f = Filters, n = Batch;
        var plan = TileImages > 0
            ? new Convolution(g, f, TileImages * g.OutPixels * g.PatchSize, Algorithm, 3 * TileImages * 16 * (g.InChannels + f), inferenceF4: false)
            : new Convolution(g, f, Convolution.DefaultTileFloats, Algorithm, inferenceF4: false);
        var x = Integers(rng, n * g.InputSize, 3);
        var w = Integers(rng, g.PatchSize * f, 2);
        var bias = Bias ? Integers(rng, f, 5) : [];
        var dz = Integers(rng, n * g.OutPixels * f, 3);
        var dw0 = Integers(rng, g.PatchSize * f, 4);   // the kernel gradient accumulates onto what it holds

        var y = new float[n * g.OutPixels * f];
        var yRef = new float[y.Length];
        plan.Forward(y, x, w, bias, Relu, n);
        ConvolutionReference.Forward(yRef, x, w, bias, Relu, n, g, f);

        // Inference: the kernel packed once and kept while the caller says it is unchanged, then a new kernel.
        var yInference = new float[y.Length];
        plan.Forward(yInference, x, w, bias, Relu, n, kernelUnchanged: false, training: false);
        plan.Forward(yInference, x, w, bias, Relu, n, kernelUnchanged: true, training: false);
        var w2 = Integers(rng, w.Length, 2);
        var y2 = new float[y.Length];
        var y2Ref = new float[y.Length];
        plan.Forward(y2, x, w2, bias, Relu, n, kernelUnchanged: false, training: false);
        ConvolutionReference.Forward(y2Ref, x, w2, bias, Relu, n, g, f);

        var dx = Integers(rng, x.Length, 9);   // overwritten: stale values must not leak through
        var dxRef = new float[x.Length];
        plan.BackwardInput(dx, dz, w, n);
        ConvolutionReference.BackwardInput(dxRef, dz, w, n, g, f);

        var dw = (float[])dw0.Clone();
        var dwRef = (float[])dw0.Clone();
        plan.BackwardKernel(dw, dz, x, n);
        ConvolutionReference.BackwardKernel(dwRef, dz, x, n, g, f);

        // Inference with a residual summed in before the activation (a residual block's join), kernel unchanged.
        var residual = Integers(rng, y.Length, 6);
        var yResidual = new float[y.Length];
        plan.Forward(yResidual, x, w2, bias, Relu, n, kernelUnchanged: true, training: false, residual: residual);
        var yResidualRef = new float[y.Length];
        ConvolutionReference.Forward(yResidualRef, x, w2, bias, relu: false, n, g, f);
        for (int i = 0; i < yResidualRef.Length; i++)
            yResidualRef[i] = Relu ? Math.Max(yResidualRef[i] + residual[i], 0f) : yResidualRef[i] + residual[i];

        detail = FirstDifference("forward", y, yRef) ?? FirstDifference("inference forward", yInference, yRef)
                 ?? FirstDifference("inference forward with a residual", yResidual, yResidualRef)
                 ?? FirstDifference("inference forward, new kernel", y2, y2Ref) ?? FirstDifference("backward input", dx, dxRef)
                 ?? FirstDifference("backward kernel", dw, dwRef) ?? "";
        bool ok = detail.Length == 0;
        detail = $"{(ok ? "ok" : "FAIL")} conv {this}{(ok ? "" : ": " + detail)}";
        return ok;
    }

    private static string? FirstDifference(string pass, float[] fast, float[] reference)
    {
        for (int i = 0; i < fast.Length; i++)
            if (fast[i] != reference[i]) return $"{pass}[{i}] = {fast[i]}, expected {reference[i]}";
        return null;
    }

    private static float[] Integers(Random rng, int count, int magnitude)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = rng.Next(-magnitude, magnitude + 1);
        return values;
    }
}
