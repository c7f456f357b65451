using Fovea.Kernels;
using Fovea.Layers;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Winograd F(4×4, 3×3), inference's forward pass, against the direct <see cref="ConvolutionReference"/> in double
/// within a rounding bound, bit-identical across thread counts, chunk sizes and batch sizes, chosen by the dispatch
/// outside training, and refusing the gradients an inference plan does not compute (its training plan:
/// <see cref="WinogradF4TrainingTests"/>). These set <see cref="Engine.Threads"/>
/// or kernel options, so they run alone.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class WinogradF4Tests
{
    public static TheoryData<string, int, int> Shapes => new()
    {
        // name (a geometry below), filters, batch
        { "same 5x7x1", 1, 1 },
        { "same 5x7x17", 33, 3 },
        { "valid 7x9x17", 5, 2 },
        { "valid 3x3x3", 33, 1 },    // one output pixel: one partial tile
        { "same 1x1x17", 5, 3 },     // one pixel: every tap but the centre is padding
        { "same 8x8x33", 17, 1 },    // whole 4×4 tiles only
        { "same 9x6x16", 24, 2 },    // partial tiles on both edges; vector widths 16 and 8
        { "padded 6x5x3 (0,2 / 1,0)", 5, 3 },
        { "padded 4x4x17 (2,2 / 2,2)", 3, 3 },
    };

    internal static ConvGeometry Geometry(string name) => name switch
    {
        "same 5x7x1" => ConvGeometry.Same(5, 7, 1, 3, 3),
        "same 5x7x17" => ConvGeometry.Same(5, 7, 17, 3, 3),
        "valid 7x9x17" => ConvGeometry.Valid(7, 9, 17, 3, 3),
        "valid 3x3x3" => ConvGeometry.Valid(3, 3, 3, 3, 3),
        "same 1x1x17" => ConvGeometry.Same(1, 1, 17, 3, 3),
        "same 8x8x33" => ConvGeometry.Same(8, 8, 33, 3, 3),
        "same 9x6x16" => ConvGeometry.Same(9, 6, 16, 3, 3),
        "padded 6x5x3 (0,2 / 1,0)" => ConvGeometry.Padded(6, 5, 3, 3, 3, 1, 1, 0, 2, 1, 0),
        "padded 4x4x17 (2,2 / 2,2)" => ConvGeometry.Padded(4, 4, 17, 3, 3, 1, 1, 2, 2, 2, 2),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// Random floats in [−1, 1): each result within 4·(9·C + 36)·2⁻²⁴ of Σ|terms| (the reference on |x| and |w|),
    /// with a residual and with bias + ReLU. Bᵀ's rows sum to at most 10 in absolute value and Aᵀ's to 19, so the
    /// transformed terms can be far larger than the direct ones and cancel. Measured worst on these shapes: a
    /// thirteenth of the bound (the padded 6×5 case).
    /// A wrong tap, sign or tile offset gives errors of the order of Σ|terms| itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_double_reference_on_floats(string shape, int filters, int batch)
    {
        var g = Geometry(shape);
        var rng = new Random(29);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var residual = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        var plan = new WinogradConvolution(g, filters, outputTile: 4);
        Assert.Equal(4, plan.OutputTile);
        float tolerance = 4 * (9 * g.InChannels + 36) * MathF.Pow(2, -24);
        double worst = 0;
        foreach (var (b, relu, add) in new[] { (bias, true, false), (Array.Empty<float>(), false, false), (bias, true, true) })
        {
            var y = new float[residual.Length];
            var yRef = new float[y.Length];
            var scale = new float[y.Length];
            plan.Forward(y, x, w, b, relu, batch, residual: add ? residual : default);
            ConvolutionReference.Forward(yRef, x, w, b, relu: false, batch, g, filters);
            ConvolutionReference.Forward(scale, Abs(x), Abs(w), Abs(b), false, batch, g, filters);
            for (int i = 0; i < yRef.Length; i++)
            {
                float v = yRef[i] + (add ? residual[i] : 0);
                yRef[i] = relu && v < 0 ? 0 : v;
                scale[i] += add ? Math.Abs(residual[i]) : 0;
                float bound = tolerance * scale[i] + 1e-30f, error = Math.Abs(y[i] - yRef[i]);
                worst = Math.Max(worst, error / bound);
                Assert.True(error <= bound, $"forward bias={b.Length > 0} relu={relu} residual={add} [{i}] = {y[i]}, expected {yRef[i]} (±{bound})");
            }
        }
        Assert.True(worst > 0, "F(4×4) rounds differently from the direct sum somewhere: the check is not vacuous");
    }

    [Fact]
    public void Bit_identical_across_threads_chunks_and_batch_sizes()
    {
        var g = ConvGeometry.Same(9, 11, 40, 3, 3);
        const int filters = 36, batch = 5;
        var rng = new Random(5);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 2, 1 })
            foreach (int chunk in new[] { 5, 1000, 1 })
            {
                using var _ = new EngineThreads(threads);
                var plan = new WinogradConvolution(g, filters, chunk * 36 * (g.InChannels + filters), outputTile: 4);
                Assert.Equal(chunk, plan.ChunkTiles);
                var y = new float[batch * g.OutPixels * filters];
                plan.Forward(y, x, w, bias, relu: true, batch);
                if (first is null) first = y;
                else Assert.Equal(first, y);
                // The last image alone gives the same bits as inside the batch.
                var y1 = new float[g.OutPixels * filters];
                plan.Forward(y1, x.AsMemory((batch - 1) * g.InputSize), w, bias, relu: true, 1, kernelUnchanged: true);
                Assert.Equal(y.AsSpan((batch - 1) * y1.Length).ToArray(), y1);
            }
    }

    [Fact]
    public void An_inference_plan_computes_the_forward_pass_only()
    {
        var g = ConvGeometry.Same(8, 8, 4, 3, 3);
        var plan = new WinogradConvolution(g, 4, outputTile: 4);
        Assert.False(plan.Trainable);
        Assert.True(new WinogradConvolution(g, 4, outputTile: 4, training: true).Trainable);
        var dz = new float[g.OutPixels * 4];
        var e = Assert.Throws<InvalidOperationException>(() => plan.BackwardInput(new float[g.InputSize], dz, new float[g.PatchSize * 4], 1));
        Assert.Contains("forward pass only", e.Message);
        Assert.Throws<InvalidOperationException>(() => plan.BackwardKernel(new float[g.PatchSize * 4], dz, new float[g.InputSize], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WinogradConvolution(g, 4, outputTile: 3));
    }

    /// <summary>F(4×4) where it saves 1.5× F(2×2)'s multiplies and its kernel stays within 2^22 floats; not on 14×14
    /// (1.36×) nor on 512-wide layers (36·512·512 floats), nor on what F(2×2) already declines.</summary>
    [Fact]
    public void Dispatch_rule()
    {
        Assert.True(Convolution.PrefersWinogradF4(ConvGeometry.Same(56, 56, 64, 3, 3), 64));
        Assert.True(Convolution.PrefersWinogradF4(ConvGeometry.Same(28, 28, 128, 3, 3), 128));
        Assert.True(Convolution.PrefersWinogradF4(ConvGeometry.Same(15, 15, 64, 3, 3), 256));
        Assert.False(Convolution.PrefersWinogradF4(ConvGeometry.Same(14, 14, 64, 3, 3), 64));
        Assert.True(Convolution.PrefersWinogradF4(ConvGeometry.Same(7, 7, 256, 3, 3), 256));
        Assert.False(Convolution.PrefersWinogradF4(ConvGeometry.Same(7, 7, 512, 3, 3), 512));
        Assert.False(Convolution.PrefersWinogradF4(ConvGeometry.Same(32, 32, 3, 3, 3), 32));
        Assert.False(Convolution.PrefersWinogradF4(ConvGeometry.Same(16, 16, 64, 3, 3, 2, 2), 64));
    }

    /// <summary>Through a model: predictions take F(4×4) (close to F(2×2)'s, not the same bits) on the layer the rule
    /// picks, and a weight change reaches the next prediction.</summary>
    [Fact]
    public void Predictions_use_it_and_follow_weight_changes()
    {
        using var winograd = new EngineWinograd(WinogradUse.Inference);
        var model = new Fovea.Models.Sequential(
            new Conv2D(32, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(16, 16, 64)),
            new GlobalAveragePooling2D(),
            new Dense(3)) { Seed = 3 };
        var rng = new Rng(9);
        var x = new float[8 * 16 * 16 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() - 0.5f;
        var image = new Tensor(new Shape(8, 16, 16, 64), x);
        float[] f4 = model.Predict(image, 8).Data;
        float[] f2;
        using (new KernelOptionsScope(o => o with { WinogradF4 = false })) f2 = model.Predict(image, 8).Data;
        Assert.NotEqual(f2.Select(BitConverter.SingleToInt32Bits), f4.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < f2.Length; i++) Assert.Equal(f2[i], f4[i], 1e-4f);
        Assert.Equal(f4, model.Predict(image, 8).Data);
        // A changed weight is seen by the next prediction.
        var kernel = model.Layers[0].Weights[0].Value;
        for (int i = 0; i < kernel.Length; i++) kernel[i] = -kernel[i];
        float[] changed = model.Predict(image, 8).Data, expected;
        using (new KernelOptionsScope(o => o with { WinogradF4 = false })) expected = model.Predict(image, 8).Data;
        Assert.NotEqual(f4, changed);
        for (int i = 0; i < f2.Length; i++) Assert.Equal(expected[i], changed[i], 1e-4f);
    }

    private static float[] Abs(float[] v) => Array.ConvertAll(v, MathF.Abs);
}
