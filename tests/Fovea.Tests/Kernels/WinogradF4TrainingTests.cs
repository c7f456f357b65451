using Fovea.Kernels;
using Fovea.Layers;
using Fovea.Tests.Models;
using Fovea.Training;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Winograd F(4×4, 3×3) in training (a plan made with <c>training: true</c>, chosen under
/// <see cref="WinogradUse.AlwaysF4"/>): forward pass, input gradient and kernel gradient against the direct
/// <see cref="ConvolutionReference"/> in double within rounding bounds, bit-identical across thread counts and chunk
/// sizes, and through a Conv2D layer's finite-difference gradient check. These set engine settings, so they run alone.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class WinogradF4TrainingTests
{
    public static TheoryData<string, int, int> Shapes => WinogradF4Tests.Shapes;

    /// <summary>
    /// Random floats in [−1, 1), each result within a bound on Σ|terms| (the reference on absolute values): the
    /// forward pass and the input gradient within 4·(9·C + 36)·2⁻²⁴, inference's bound, though the kernel is
    /// transformed in float here (G's sixths rounded); the kernel gradient within 8·(N·OH·OW + 36)·2⁻²⁴ (A's entries
    /// up to 8 make its transformed terms far larger than the direct ones, and Gᵀ's 1/24s bring them back).
    /// Measured worst on these shapes: about a quarter of the input gradient's bound, a tenth of the kernel
    /// gradient's. A wrong tap, sign, turn or tile offset gives errors of the order of Σ|terms| itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_double_reference_on_floats(string shape, int filters, int batch)
    {
        var g = WinogradF4Tests.Geometry(shape);
        var rng = new Random(31);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        var plan = new WinogradConvolution(g, filters, outputTile: 4, training: true);

        var y = new float[dz.Length];
        var yRef = new float[dz.Length];
        var yScale = new float[dz.Length];
        plan.Forward(y, x, w, bias, relu: false, batch);
        ConvolutionReference.Forward(yRef, x, w, bias, relu: false, batch, g, filters);
        ConvolutionReference.Forward(yScale, Abs(x), Abs(w), Abs(bias), false, batch, g, filters);
        double worst = AssertClose(y, yRef, yScale, 4 * (9 * g.InChannels + 36) * MathF.Pow(2, -24), "forward");

        var dx = new float[x.Length];
        var dxRef = new float[x.Length];
        var dxScale = new float[x.Length];
        plan.BackwardInput(dx, dz, w, batch);
        ConvolutionReference.BackwardInput(dxRef, dz, w, batch, g, filters);
        ConvolutionReference.BackwardInput(dxScale, Abs(dz), Abs(w), batch, g, filters);
        worst = Math.Max(worst, AssertClose(dx, dxRef, dxScale, 4 * (9 * filters + 36) * MathF.Pow(2, -24), "input gradient"));

        // Accumulated onto what the gradient holds.
        var dw0 = ConvolutionTests.Random(rng, w.Length);
        var dw = (float[])dw0.Clone();
        var dwRef = (float[])dw0.Clone();
        var dwScale = Abs(dw0);
        plan.BackwardKernel(dw, dz, x, batch);
        ConvolutionReference.BackwardKernel(dwRef, dz, x, batch, g, filters);
        ConvolutionReference.BackwardKernel(dwScale, Abs(dz), Abs(x), batch, g, filters);
        worst = Math.Max(worst, AssertClose(dw, dwRef, dwScale, 8 * (batch * g.OutPixels + 36) * MathF.Pow(2, -24), "kernel gradient"));
        Assert.True(worst > 0, "F(4×4) rounds differently from the direct sums somewhere: the check is not vacuous");
    }

    /// <summary>Every output of each pass depends on its own tiles alone and each GEMM runs on one thread, so the
    /// bits never follow the thread count; the forward pass and input gradient do not follow the chunk size either.</summary>
    [Fact]
    public void Bit_identical_across_threads_and_chunks()
    {
        var g = ConvGeometry.Same(9, 11, 40, 3, 3);
        const int filters = 36, batch = 5;
        var rng = new Random(7);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        (float[] Y, float[] Dx, float[] Dw)? first = null;
        foreach (int chunk in new[] { 5, 1000, 1 })
            foreach (int threads in new[] { 1, 2, 1 })
            {
                using var _ = new EngineThreads(threads);
                var plan = new WinogradConvolution(g, filters, chunk * 36 * (g.InChannels + filters), outputTile: 4, training: true);
                Assert.Equal(chunk, plan.ChunkTiles);
                var y = new float[dz.Length];
                var dx = new float[x.Length];
                var dw = new float[w.Length];
                plan.Forward(y, x, w, ReadOnlyMemory<float>.Empty, relu: false, batch);
                plan.BackwardInput(dx, dz, w, batch);
                plan.BackwardKernel(dw, dz, x, batch);
                if (first is not { } f) { first = (y, dx, dw); continue; }
                Assert.Equal(f.Y, y);
                Assert.Equal(f.Dx, dx);
                if (chunk == 5) Assert.Equal(f.Dw, dw);
            }
    }

    /// <summary>Under <see cref="WinogradUse.AlwaysF4"/> a layer the rule picks trains by F(4×4): its three passes
    /// pass the finite-difference check, and its forward pass gives a training plan's bits, not F(2×2)'s.</summary>
    [Fact]
    public void Conv2D_trains_through_it()
    {
        var shape = new Shape(12, 12, 64);
        var g = ConvGeometry.Same(12, 12, 64, 3, 3);
        Assert.True(Convolution.PrefersWinogradF4Training(g, 32));
        using var _ = new EngineWinograd(WinogradUse.AlwaysF4);
        // The layer is linear, so a wide step costs the central difference nothing and lifts it above F(4×4)'s rounding.
        Layers.GradientCheck.Layer(new Conv2D(32, (3, 3), Activation.Linear, Padding.Same), shape, batch: 2, eps: 0.1f);

        var rng = new Random(3);
        var x = ConvolutionTests.Random(rng, 2 * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * 32);
        var y = new float[2 * g.OutPixels * 32];
        new Convolution(g, 32).Forward(y, x, w, ReadOnlyMemory<float>.Empty, relu: false, 2, training: true);
        var f4 = new float[y.Length];
        new WinogradConvolution(g, 32, outputTile: 4, training: true).Forward(f4, x, w, ReadOnlyMemory<float>.Empty, false, 2);
        var f2 = new float[y.Length];
        new WinogradConvolution(g, 32).Forward(f2, x, w, ReadOnlyMemory<float>.Empty, false, 2);
        Assert.Equal(f4, y);
        Assert.NotEqual(f2, y);
    }

    /// <summary>Under <see cref="WinogradUse.AlwaysF4Forward"/> a layer the rule picks runs its forward pass and input
    /// gradient by F(4×4) and its kernel gradient by F(2×2): each the bits of that plan's own pass.</summary>
    [Fact]
    public void Forward_only_takes_the_kernel_gradient_from_F2()
    {
        var g = ConvGeometry.Same(12, 12, 64, 3, 3);
        const int filters = 32, batch = 2;
        var rng = new Random(4);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        (float[] Y, float[] Dx, float[] Dw) Passes(Func<float[], float[], float[], int> run)
        {
            var (y, dx, dw) = (new float[dz.Length], new float[x.Length], new float[w.Length]);
            run(y, dx, dw);
            return (y, dx, dw);
        }
        var f4 = new WinogradConvolution(g, filters, outputTile: 4, training: true);
        var f2 = new WinogradConvolution(g, filters);
        var four = Passes((y, dx, dw) => { f4.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch); f4.BackwardInput(dx, dz, w, batch); f4.BackwardKernel(dw, dz, x, batch); return 0; });
        var two = Passes((y, dx, dw) => { f2.Forward(y, x, w, ReadOnlyMemory<float>.Empty, false, batch); f2.BackwardInput(dx, dz, w, batch); f2.BackwardKernel(dw, dz, x, batch); return 0; });
        using var _ = new EngineWinograd(WinogradUse.AlwaysF4Forward);
        var conv = new Convolution(g, filters);
        var mixed = Passes((y, dx, dw) =>
        {
            conv.Forward(y, x, w, ReadOnlyMemory<float>.Empty, relu: false, batch, training: true);
            conv.BackwardInput(dx, dz, w, batch, kernelUnchanged: true);
            conv.BackwardKernel(dw, dz, x, batch);
            return 0;
        });
        Assert.Equal(four.Y, mixed.Y);
        Assert.Equal(four.Dx, mixed.Dx);
        Assert.Equal(two.Dw, mixed.Dw);
        Assert.NotEqual(four.Dw, two.Dw);
    }

    /// <summary>Inference's rule: airbench94's 15×15 and 7×7 layers, not 14×14 maps nor 512-wide layers; training's
    /// not its 3×3 maps either.</summary>
    [Fact]
    public void Training_rule()
    {
        Assert.True(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(15, 15, 64, 3, 3), 256));
        Assert.True(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(56, 56, 64, 3, 3), 64));
        Assert.True(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(7, 7, 256, 3, 3), 256));
        Assert.False(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(7, 7, 512, 3, 3), 512));
        Assert.False(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(14, 14, 256, 3, 3), 256));
        Assert.True(Convolution.PrefersWinogradF4(ConvGeometry.Same(3, 3, 256, 3, 3), 256));
        Assert.False(Convolution.PrefersWinogradF4Training(ConvGeometry.Same(3, 3, 256, 3, 3), 256));
    }

    /// <summary>A model trained under <see cref="WinogradUse.AlwaysF4"/> (in shards of 32, a 12×12×64 layer by F(4×4))
    /// ends with the same weights on one thread and two, and with other weights than by F(2×2).</summary>
    [Fact]
    public void Training_is_bit_identical_across_thread_counts()
    {
        float[] f4One, f4Two, f2;
        using (new EngineWinograd(WinogradUse.AlwaysF4))
        {
            using (new EngineThreads(1)) f4One = Train();
            using (new EngineThreads(2)) f4Two = Train();
        }
        using (new EngineWinograd(WinogradUse.Always)) f2 = Train();
        Assert.Equal(f4One.Select(BitConverter.SingleToInt32Bits), f4Two.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(f2.Select(BitConverter.SingleToInt32Bits), f4One.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < f2.Length; i++) Assert.Equal(f2[i], f4One[i], 1e-3f);

        static float[] Train()
        {
            var model = new Fovea.Models.Sequential(
                new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(12, 12, 3)),
                new Conv2D(32, (3, 3), Activation.Relu, Padding.Same),
                new GlobalAveragePooling2D(),
                new Dense(10, Activation.Softmax)) { Seed = 3 };
            model.Compile(new Fovea.Optimizers.Sgd(0.05f), new Fovea.Losses.SparseCategoricalCrossentropy());
            var rng = new Rng(5);
            var x = new float[128 * 12 * 12 * 3];
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
            var y = Enumerable.Range(0, 128).Select(i => i % 10).ToArray();
            model.Fit(new Tensor(new Shape(128, 12, 12, 3), x), y, batchSize: 64, epochs: 1, shuffle: false, verbose: 0);
            return model.Weights.ToArray();
        }
    }

    private static float[] Abs(float[] v) => Array.ConvertAll(v, MathF.Abs);

    /// <summary>Asserts each error within its bound and returns the largest error over its bound.</summary>
    private static double AssertClose(float[] actual, float[] expected, float[] scale, float tolerance, string what)
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            float bound = tolerance * scale[i] + 1e-30f, error = Math.Abs(actual[i] - expected[i]);
            worst = Math.Max(worst, error / bound);
            Assert.True(error <= bound, $"{what}[{i}] = {actual[i]}, expected {expected[i]} (±{bound})");
        }
        Console.WriteLine($"{what}: worst {worst:F3} of the bound");
        return worst;
    }
}
