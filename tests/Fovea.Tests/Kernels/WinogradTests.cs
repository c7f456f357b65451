using Fovea.Kernels;
using Fovea.Layers;
using Fovea.Tests.Models;
using Fovea.Training;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) (forward, input and kernel gradients) against the direct <see cref="ConvolutionReference"/>: exactly on small integers (every
/// transform is exact there), within a rounding bound on random floats, and bit-identical across thread counts,
/// chunk sizes and batch sizes. These set <see cref="Engine.Threads"/> or count allocations, so they run alone.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class WinogradTests
{
    public static TheoryData<string, int, int> Shapes => new()
    {
        // name (a geometry below), filters, batch
        { "same 5x7x1", 1, 1 },
        { "same 5x7x3", 5, 3 },
        { "same 5x7x17", 33, 3 },
        { "valid 5x7x17", 5, 3 },
        { "valid 3x3x3", 33, 1 },   // one output pixel: one partial tile
        { "same 1x1x17", 5, 3 },    // one pixel: every tap but the centre is padding
        { "same 2x9x3", 1, 3 },
        { "same 6x4x33", 17, 1 },   // even sizes: whole tiles only
        { "padded 6x5x3 (0,2 / 1,0)", 5, 3 },
        { "padded 4x4x17 (2,2 / 2,2)", 3, 3 },
    };

    private static ConvGeometry Geometry(string name) => name switch
    {
        "same 5x7x1" => ConvGeometry.Same(5, 7, 1, 3, 3),
        "same 5x7x3" => ConvGeometry.Same(5, 7, 3, 3, 3),
        "same 5x7x17" => ConvGeometry.Same(5, 7, 17, 3, 3),
        "valid 5x7x17" => ConvGeometry.Valid(5, 7, 17, 3, 3),
        "valid 3x3x3" => ConvGeometry.Valid(3, 3, 3, 3, 3),
        "same 1x1x17" => ConvGeometry.Same(1, 1, 17, 3, 3),
        "same 2x9x3" => ConvGeometry.Same(2, 9, 3, 3, 3),
        "same 6x4x33" => ConvGeometry.Same(6, 4, 33, 3, 3),
        "padded 6x5x3 (0,2 / 1,0)" => ConvGeometry.Padded(6, 5, 3, 3, 3, 1, 1, 0, 2, 1, 0),
        "padded 4x4x17 (2,2 / 2,2)" => ConvGeometry.Padded(4, 4, 17, 3, 3, 1, 1, 2, 2, 2, 2),
        _ => throw new ArgumentException(name),
    };

    /// <summary>On small integers every sum is exact, so forward and input gradient must equal the reference bit for
    /// bit, with the default chunk and with chunks of 3 or 6 tiles that cut images anywhere.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_reference_exactly_on_integers(string shape, int filters, int batch)
    {
        var g = Geometry(shape);
        var rng = new Random(17);
        foreach (int tileImages in new[] { 0, 1, 2 })
            foreach (var (bias, relu) in new[] { (true, true), (false, false), (true, false) })
            {
                var c = new ConvolutionCase(g, filters, batch, tileImages, bias, relu, ConvolutionAlgorithm.Winograd);
                Assert.True(c.Check(rng, out string detail), detail);
            }
    }

    /// <summary>
    /// Random floats in [−1, 1): each result within 8·(9·C + 12)·2⁻²⁴ of Σ|terms| (the reference on |x| and |w|).
    /// A direct float sum of 9·C products is within (9·C)·2⁻²⁴ of that; Winograd adds the transforms' few
    /// roundings and sums terms up to 4·2.25 = 9 times larger than the direct ones (|V| ≤ 4·max|d|,
    /// |U| ≤ 2.25·max|g|) that cancel, so its bound is a small constant factor higher. Measured worst here:
    /// between an 80th and a tenth of the bound. A wrong tap or sign gives errors of the order of Σ|terms| itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_double_reference_on_floats(string shape, int filters, int batch)
    {
        var g = Geometry(shape);
        var rng = new Random(23);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        var plan = new WinogradConvolution(g, filters);
        float tolerance = 8 * (9 * g.InChannels + 12) * MathF.Pow(2, -24);

        foreach (var (b, relu) in new[] { (bias, true), (Array.Empty<float>(), false) })
        {
            var y = new float[dz.Length];
            var yRef = new float[dz.Length];
            var scale = new float[dz.Length];
            plan.Forward(y, x, w, b, relu, batch);
            ConvolutionReference.Forward(yRef, x, w, b, relu, batch, g, filters);
            ConvolutionReference.Forward(scale, Abs(x), Abs(w), Abs(b), false, batch, g, filters);
            AssertClose(y, yRef, scale, tolerance, $"forward bias={b.Length > 0} relu={relu}");
        }
        var dx = new float[x.Length];
        var dxRef = new float[x.Length];
        var dxScale = new float[x.Length];
        plan.BackwardInput(dx, dz, w, batch);
        ConvolutionReference.BackwardInput(dxRef, dz, w, batch, g, filters);
        ConvolutionReference.BackwardInput(dxScale, Abs(dz), Abs(w), batch, g, filters);
        AssertClose(dx, dxRef, dxScale, 8 * (9 * filters + 12) * MathF.Pow(2, -24), "input gradient");
        // The kernel gradient sums batch·OH·OW products per weight, accumulated onto what it holds.
        var dw0 = ConvolutionTests.Random(rng, w.Length);
        var dw = (float[])dw0.Clone();
        var dwRef = (float[])dw0.Clone();
        var dwScale = Abs(dw0);
        plan.BackwardKernel(dw, dz, x, batch);
        ConvolutionReference.BackwardKernel(dwRef, dz, x, batch, g, filters);
        ConvolutionReference.BackwardKernel(dwScale, Abs(dz), Abs(x), batch, g, filters);
        AssertClose(dw, dwRef, dwScale, 8 * (batch * g.OutPixels + 12) * MathF.Pow(2, -24), "kernel gradient");
    }

    [Fact]
    public void Bit_identical_across_threads_chunks_and_batch_sizes()
    {
        var g = ConvGeometry.Same(7, 9, 40, 3, 3);
        const int filters = 36, batch = 5;
        var rng = new Random(5);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        float[]? first = null;
        var dws = new List<float[]>();
        foreach (int threads in new[] { 1, 2, 2, 1 })
            foreach (int chunk in new[] { 7, 1000, 1 })
            {
                using var _ = new EngineThreads(threads);
                var plan = new WinogradConvolution(g, filters, chunk * 16 * (g.InChannels + filters));
                Assert.Equal(chunk, plan.ChunkTiles);
                var y = new float[dz.Length];
                var dx = new float[x.Length];
                var dw = new float[w.Length];
                plan.Forward(y, x, w, bias, relu: true, batch);
                plan.BackwardInput(dx, dz, w, batch);
                plan.BackwardKernel(dw, dz, x, batch);
                dws.Add(dw);
                float[] all = [.. y, .. dx];
                if (first is null) first = all;
                else Assert.Equal(first, all);
                // The last image alone gives the same bits as inside the batch.
                var y1 = new float[g.OutPixels * filters];
                plan.Forward(y1, x.AsMemory((batch - 1) * g.InputSize), w, bias, relu: true, 1);
                Assert.Equal(y.AsSpan((batch - 1) * y1.Length).ToArray(), y1);
            }
        // The kernel gradient sums chunk by chunk: the same bits for any thread count at a given chunk size.
        for (int i = 3; i < dws.Count; i++) Assert.Equal(dws[i % 3], dws[i]);
    }

    /// <summary>The transformed kernel packed into the GEMM's panels once per transform gives the bits of packing it in
    /// every product, at F(2×2) and F(4×4) training, over several chunks and edge panels, through kernels that change
    /// between calls and passes that reuse a transform (stale panels would show as a difference).</summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 1)]
    [InlineData(4, 2)]
    public void Packed_kernel_gives_the_same_bits_as_packing_in_every_product(int outputTile, int threads)
    {
        var g = ConvGeometry.Same(9, 7, 40, 3, 3);
        const int filters = 36, batch = 3;
        var rng = new Random(11);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w1 = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var w2 = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        using var _ = new EngineThreads(threads);
        List<float[]> Run(bool packed)
        {
            using var scope = new KernelOptionsScope(o => o with { WinogradPackedKernel = packed });
            int xi = (outputTile + 2) * (outputTile + 2);
            var plan = new WinogradConvolution(g, filters, 4 * xi * (g.InChannels + filters), outputTile, training: true);
            // Another layer's plan on the same thread between calls: it overwrites the thread's scratch (dU, and at
            // F(4×4) the transforms), which must never be read across calls.
            var og = ConvGeometry.Same(5, 6, 24, 3, 3);
            var other = new WinogradConvolution(og, 20, 1 << 16, outputTile, training: true);
            var ox = ConvolutionTests.Random(new Random(3), 2 * og.InputSize);
            var ow = ConvolutionTests.Random(new Random(4), og.PatchSize * 20);
            var oz = ConvolutionTests.Random(new Random(6), 2 * og.OutPixels * 20);
            void Clobber()
            {
                other.Forward(new float[oz.Length], ox, ow, ReadOnlyMemory<float>.Empty, relu: false, 2);
                other.BackwardInput(new float[ox.Length], oz, ow, 2, kernelUnchanged: true);
                other.BackwardKernel(new float[ow.Length], oz, ox, 2);
            }
            var results = new List<float[]>();
            void Forward(float[] w, bool unchanged)
            {
                var y = new float[dz.Length];
                plan.Forward(y, x, w, bias, relu: false, batch, kernelUnchanged: unchanged);
                results.Add(y);
                Clobber();
            }
            void Input(float[] w, bool unchanged)
            {
                var dx = new float[x.Length];
                plan.BackwardInput(dx, dz, w, batch, kernelUnchanged: unchanged);
                results.Add(dx);
                var dw = new float[w.Length];
                plan.BackwardKernel(dw, dz, x, batch);
                results.Add(dw);
                Clobber();
            }
            Forward(w1, false);
            Input(w1, true);
            Forward(w2, false);
            Forward(w2, true);
            Input(w2, true);
            Input(w1, false);
            Forward(w1, false);
            Input(w1, true);
            return results;
        }
        var each = Run(packed: false);
        var once = Run(packed: true);
        Assert.Equal(each.Count, once.Count);
        for (int i = 0; i < each.Count; i++) Assert.True(each[i].AsSpan().SequenceEqual(once[i]), $"call {i} differs");
        // The two kernels' results differ, so a stale packed kernel could not pass unseen.
        Assert.False(each[0].AsSpan().SequenceEqual(each[2]));
    }

    /// <summary>A 3×3 'same' convolution with 64 channels and filters goes through Winograd; narrow ones, strided
    /// ones, one-pixel-high images and other kernels stay on im2col.</summary>
    [Fact]
    public void Convolution_dispatches_by_geometry()
    {
        Assert.True(new Convolution(ConvGeometry.Same(15, 15, 64, 3, 3), 64).UsesWinograd);
        Assert.True(new Convolution(ConvGeometry.Same(7, 7, 256, 3, 3), 256).UsesWinograd);
        Assert.True(new Convolution(ConvGeometry.Same(7, 7, 256, 3, 3), 256).UsesWinogradKernelGradient);
        // 3×3 images: 81 multiplies of im2col per channel pair against 64 of Winograd; enough for the forward pass only.
        Assert.True(new Convolution(ConvGeometry.Same(3, 3, 256, 3, 3), 256).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Same(3, 3, 256, 3, 3), 256).UsesWinogradKernelGradient);
        Assert.False(new Convolution(ConvGeometry.Same(1, 9, 64, 3, 3), 64).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Valid(15, 15, 32, 3, 3), 64).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Valid(32, 32, 3, 3, 3), 32).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Valid(32, 32, 3, 3, 3), 32).UsesWinogradTraining);
        Assert.False(new Convolution(ConvGeometry.Valid(15, 15, 32, 3, 3), 64).UsesWinogradTraining);
        Assert.True(new Convolution(ConvGeometry.Same(15, 15, 64, 3, 3), 64).UsesWinogradTraining);
        // Training from 24 channels on request (its passes run one shard to a thread), the kernel gradient still from 64.
        using var _ = new KernelOptionsScope(o => o with { WinogradTrainingMinChannels = 24 });
        Assert.True(new Convolution(ConvGeometry.Valid(15, 15, 32, 3, 3), 64).UsesWinogradTraining);
        Assert.True(new Convolution(ConvGeometry.Same(31, 31, 24, 3, 3), 64).UsesWinogradTraining);
        Assert.False(new Convolution(ConvGeometry.Same(31, 31, 24, 3, 3), 64).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Same(31, 31, 24, 3, 3), 64).UsesWinogradKernelGradient);
        Assert.False(new Convolution(ConvGeometry.Same(31, 31, 16, 3, 3), 64).UsesWinogradTraining);
        Assert.False(new Convolution(ConvGeometry.Same(15, 15, 64, 3, 3, 2, 2), 64).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Same(15, 15, 64, 5, 5), 64).UsesWinograd);
        Assert.False(new Convolution(ConvGeometry.Same(15, 15, 64, 3, 3), 64, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col).UsesWinograd);
        Assert.True(new Convolution(ConvGeometry.Same(5, 5, 3, 3, 3), 4, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Winograd).UsesWinograd);
    }

    /// <summary>Conv2D layers wide enough for the dispatch to pick Winograd pass the finite-difference gradient
    /// check: forward, input gradient and kernel gradient (all three by Winograd) agree with each other. Linear: over
    /// 64 channels some weight's step would cross a ReLU's kink whatever the seed; the fused ReLU is checked exactly
    /// against the reference above.</summary>
    [Theory]
    [InlineData(Padding.Same)]
    [InlineData(Padding.Valid)]
    public void Conv2D_gradient_check_passes_through_winograd(Padding padding)
    {
        var shape = new Shape(5, 4, 64);
        var g = padding == Padding.Same ? ConvGeometry.Same(5, 4, 64, 3, 3) : ConvGeometry.Valid(5, 4, 64, 3, 3);
        Assert.True(Convolution.PrefersWinograd(g, 32));
        using var _ = new EngineWinograd(WinogradUse.Always);
        Layers.GradientCheck.Layer(new Conv2D(32, (3, 3), Activation.Linear, padding), shape, batch: 2);
    }

    /// <summary>With <see cref="KernelOptions.WinogradTrainingMinChannels"/> at 24, a 3×3 layer of 24–63 input
    /// channels takes Winograd in a training step's forward pass and input gradient only (under
    /// <see cref="WinogradUse.Always"/>): those match the forced Winograd plan bit for bit, while its kernel gradient
    /// and inference's forward pass match im2col's.</summary>
    [Fact]
    public void Narrow_layers_take_winograd_in_training_passes_only()
    {
        using var options = new KernelOptionsScope(o => o with { WinogradTrainingMinChannels = 24 });
        var g = ConvGeometry.Valid(9, 8, 32, 3, 3);
        const int f = 40, batch = 3;
        var rng = new Rng(12);
        float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextSingle() - 0.5f; return a; }
        float[] x = Fill(batch * g.InputSize), w = Fill(g.PatchSize * f), bias = Fill(f), dz = Fill(batch * g.OutPixels * f);
        var auto = new Convolution(g, f);
        var wino = new Convolution(g, f, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Winograd);
        var im2col = new Convolution(g, f, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col);
        Assert.True(auto.UsesWinogradTraining);
        Assert.False(auto.UsesWinograd);
        using var _ = new EngineWinograd(WinogradUse.Always);
        float[] Forward(Convolution c, bool training) { var y = new float[dz.Length]; c.Forward(y, x, w, bias, relu: false, batch, training: training); return y; }
        float[] InputGradient(Convolution c) { var dx = new float[x.Length]; c.BackwardInput(dx, dz, w, batch); return dx; }
        float[] KernelGradient(Convolution c) { var dw = new float[w.Length]; c.BackwardKernel(dw, dz, x, batch); return dw; }
        static int[] Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.Equal(Bits(Forward(wino, true)), Bits(Forward(auto, true)));
        Assert.NotEqual(Bits(Forward(im2col, true)), Bits(Forward(auto, true)));
        Assert.Equal(Bits(InputGradient(wino)), Bits(InputGradient(auto)));
        Assert.Equal(Bits(KernelGradient(im2col)), Bits(KernelGradient(auto)));
        Assert.Equal(Bits(Forward(im2col, false)), Bits(Forward(auto, false)));
    }

    /// <summary>By default Winograd runs only outside training: a training run keeps im2col's bits exactly, while
    /// predictions take Winograd's (close, not identical) ones. <see cref="WinogradUse.Always"/> trains with it too.</summary>
    [Fact]
    public void Training_keeps_im2col_unless_told_and_inference_uses_winograd()
    {
        float[] never, inference, always, predictNever, predictInference;
        using (new EngineWinograd(WinogradUse.Never)) (never, predictNever) = TrainAndPredict();
        using (new EngineWinograd(WinogradUse.Inference)) (inference, predictInference) = TrainAndPredict();
        using (new EngineWinograd(WinogradUse.Always)) (always, _) = TrainAndPredict();
        Assert.Equal(never.Select(BitConverter.SingleToInt32Bits), inference.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(never.Select(BitConverter.SingleToInt32Bits), always.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(predictNever.Select(BitConverter.SingleToInt32Bits), predictInference.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < predictNever.Length; i++) Assert.Equal(predictNever[i], predictInference[i], 1e-5f);
    }

    /// <summary>Inference keeps the transformed kernel between predictions while no weight changes; a write through
    /// <c>Weights</c> or a parameter's <c>Value</c> must be seen by the next prediction.</summary>
    [Fact]
    public void Inference_reuses_the_transformed_kernel_only_while_the_weights_are_unchanged()
    {
        using var _ = new EngineWinograd(WinogradUse.Inference);
        var model = new Fovea.Models.Sequential(
            new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(6, 6, 64)),
            new Conv2D(32, (3, 3), Activation.Relu, Padding.Same),
            new MaxPool2D((2, 2)),
            new Flatten(),
            new Dense(4, Activation.Softmax)) { Seed = 8 };
        var rng = new Rng(6);
        // Eight images: Winograd runs from that batch size on (KernelOptions.WinogradMinBatch).
        var x = new float[8 * 6 * 6 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var image = new Tensor(new Shape(8, 6, 6, 64), x);
        float[] first = model.Predict(image, 8).Data;
        Assert.Equal(first, model.Predict(image, 8).Data);

        var weights = model.Weights;
        for (int i = 0; i < weights.Length; i++) weights[i] *= 1.5f;
        AssertNearIm2Col(model, image, model.Predict(image, 8).Data, first);

        var kernel = model.Layers[1].Weights[0].Value;
        for (int i = 0; i < kernel.Length; i++) kernel[i] = -kernel[i];
        AssertNearIm2Col(model, image, model.Predict(image, 8).Data, first);

        static void AssertNearIm2Col(Fovea.Models.Model model, Tensor image, float[] predicted, float[] old)
        {
            float[] expected;
            using (new EngineWinograd(WinogradUse.Never)) expected = model.Predict(image, 8).Data;
            Assert.NotEqual(old, predicted);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], predicted[i], 1e-5f);
        }
    }

    /// <summary>
    /// Batches of one image read the kernel packed into panels, batches of eight run Winograd: each path keeps what it
    /// derived from the kernel only while no weight changed, including changes another path's call saw first (a write,
    /// then a batch of eight, then a batch of one must not reuse the panels packed before the write).
    /// </summary>
    [Fact]
    public void Kernels_derived_for_inference_follow_weight_changes_whichever_batch_sees_them_first()
    {
        using var _ = new EngineWinograd(WinogradUse.Inference);
        var model = new Fovea.Models.Sequential(
            new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(6, 6, 64)),
            new Conv2D(32, (3, 3), Activation.Relu, Padding.Same),
            new Flatten(),
            new Dense(4, Activation.Softmax)) { Seed = 9 };
        var rng = new Rng(10);
        int n = Engine.KernelOptions.WinogradMinBatch;
        var x = new float[n * 6 * 6 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var images = new Tensor(new Shape(n, 6, 6, 64), x);
        var one = new Tensor(new Shape(1, 6, 6, 64), x[..(6 * 6 * 64)]);
        model.Predict(one, 1);
        model.Predict(images, n);
        for (int round = 0; round < 2; round++)
        {
            var weights = model.Weights;
            for (int i = 0; i < weights.Length; i++) weights[i] *= -1.25f;
            float[] first, second;
            if (round == 0) (first, second) = (model.Predict(images, n).Data, model.Predict(one, 1).Data);
            else (second, first) = (model.Predict(one, 1).Data, model.Predict(images, n).Data);
            var fresh = new Fovea.Models.Sequential(
                new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(6, 6, 64)),
                new Conv2D(32, (3, 3), Activation.Relu, Padding.Same),
                new Flatten(),
                new Dense(4, Activation.Softmax)) { Seed = 9 };
            fresh.Build();
            model.Weights.CopyTo(fresh.Weights);
            Assert.Equal(fresh.Predict(images, n).Data, first);
            Assert.Equal(fresh.Predict(one, 1).Data, second);
        }
    }

    /// <summary>Below <see cref="KernelOptions.WinogradMinBatch"/> images, inference stays on the implicit GEMM: the same bits
    /// as with Winograd off; from it on, Winograd's.</summary>
    [Fact]
    public void Small_inference_batches_stay_on_the_gemm()
    {
        var model = new Fovea.Models.Sequential(
            new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(6, 6, 64)),
            new GlobalAveragePooling2D(),
            new Dense(4, Activation.Softmax)) { Seed = 2 };
        var rng = new Rng(4);
        int n = Engine.KernelOptions.WinogradMinBatch;
        var x = new float[n * 6 * 6 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var images = new Tensor(new Shape(n, 6, 6, 64), x);
        var one = new Tensor(new Shape(1, 6, 6, 64), x[..(6 * 6 * 64)]);
        float[] small, large, smallNever, largeNever;
        using (new EngineWinograd(WinogradUse.Inference)) (small, large) = (model.Predict(one, 1).Data, model.Predict(images, n).Data);
        using (new EngineWinograd(WinogradUse.Never)) (smallNever, largeNever) = (model.Predict(one, 1).Data, model.Predict(images, n).Data);
        Assert.Equal(smallNever.Select(BitConverter.SingleToInt32Bits), small.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(largeNever.Select(BitConverter.SingleToInt32Bits), large.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Three SGD steps of a model whose second convolution (64 channels, 3×3) Winograd takes: the weights
    /// after them, and the model's predictions.</summary>
    private static (float[] Weights, float[] Predictions) TrainAndPredict()
    {
        var model = new Fovea.Models.Sequential(
            new Conv2D(64, (3, 3), Activation.Relu, Padding.Same, inputShape: new Shape(8, 8, 3)),
            new Conv2D(32, (3, 3), Activation.Relu, Padding.Same),
            new GlobalAveragePooling2D(),
            new Dense(10, Activation.Softmax)) { Seed = 3 };
        model.Compile(new Fovea.Optimizers.Sgd(0.1f), new Fovea.Losses.SparseCategoricalCrossentropy());
        var rng = new Rng(5);
        var x = new float[24 * 8 * 8 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = Enumerable.Range(0, 24).Select(i => i % 10).ToArray();
        var data = new Tensor(new Shape(24, 8, 8, 3), x);
        model.Fit(data, y, batchSize: 8, epochs: 1, shuffle: false, verbose: 0);
        return (model.Weights.ToArray(), model.Predict(data, batchSize: 24).Data);
    }

    [Fact]
    public void Rejects_geometries_it_cannot_compute_naming_them()
    {
        var e1 = Assert.Throws<ArgumentException>(() => new WinogradConvolution(ConvGeometry.Same(9, 9, 4, 3, 3, 2, 2), 4));
        Assert.Equal("geometry", e1.ParamName);
        Assert.Contains("stride 1", e1.Message);
        Assert.Throws<ArgumentException>(() => new WinogradConvolution(ConvGeometry.Valid(9, 9, 4, 2, 2), 4));
        Assert.Throws<ArgumentException>(() => new WinogradConvolution(ConvGeometry.Padded(9, 9, 4, 3, 3, 1, 1, 3, 0, 0, 0), 4));
        Assert.Throws<ArgumentException>(() =>
            new Convolution(ConvGeometry.Valid(9, 9, 4, 2, 2), 4, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Winograd));
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => new WinogradConvolution(ConvGeometry.Same(5, 5, 3, 3, 3), 0));
        Assert.Equal("filters", e2.ParamName);
        var plan = new WinogradConvolution(ConvGeometry.Same(5, 5, 3, 3, 3), 4);
        var e3 = Assert.Throws<ArgumentException>(() => plan.Forward(new float[2 * 25 * 4], new float[74], new float[108], ReadOnlyMemory<float>.Empty, false, 2));
        Assert.Equal("input", e3.ParamName);
        Assert.Contains("got 74", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => plan.BackwardInput(new float[75], new float[100], new float[107], 1));
        Assert.Equal("kernel", e4.ParamName);
    }

    [Fact]
    public void Steady_state_passes_allocate_nothing()
    {
        var g = ConvGeometry.Same(9, 9, 32, 3, 3);
        const int filters = 32;
        var plan = new Convolution(g, filters, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Winograd, 40 * 16 * 64);
        var rng = new Random(9);
        const int big = 12;
        var x = ConvolutionTests.Random(rng, big * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, big * g.OutPixels * filters);
        var y = new float[dz.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        void Step(int batch)
        {
            plan.Forward(y, x, w, bias, relu: true, batch);
            plan.BackwardInput(dx, dz, w, batch);
            plan.BackwardKernel(dw, dz, x, batch);
        }
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            Step(big);   // the scratch, the transformed kernel and the SGEMM's per-thread pack buffers
            long before = GC.GetAllocatedBytesForCurrentThread();
            Step(big);
            Step(3);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static float[] Abs(float[] v) => Array.ConvertAll(v, MathF.Abs);

    private static void AssertClose(float[] actual, float[] expected, float[] scale, float tolerance, string what)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            float bound = tolerance * scale[i] + 1e-30f;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound,
                $"{what}[{i}] = {actual[i]}, expected {expected[i]} (±{bound})");
        }
    }
}
