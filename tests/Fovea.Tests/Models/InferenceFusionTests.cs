using Fovea.Layers;
using Fovea.Models;
using Fovea.Tests.Kernels;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// Inference runs a convolution and the max-pool after it chunk by chunk, and folds a BatchNormalization into the
/// convolution before it. Without the folding, the answer must be exactly what the layers give one after the other on
/// the whole batch; with it, the same to float rounding.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public sealed class InferenceFusionTests : IDisposable
{
    // Winograd in inference, as by default: set here, not inherited from the caller's FOVEA_WINOGRAD.
    private readonly EngineWinograd _winograd = new(WinogradUse.Inference);

    public void Dispose() => _winograd.Dispose();

    [Theory]
    [InlineData("tutorial", 37)]
    [InlineData("tutorial", 1)]
    [InlineData("airbench94", 5)]
    [InlineData("airbench94", 1)]
    [InlineData("resnet9", 3)]
    public void Fused_runs_predict_what_the_layers_compute_one_by_one(string name, int batch)
    {
        var model = ModelZoo.Get(name).Create(new Shape(32, 32, 3), 10, 4);
        RandomiseNormalisations(model, new Rng(11));
        var rng = new Rng(9);
        var x = new float[batch * 32 * 32 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var images = new Tensor(new Shape(batch, 32, 32, 3), x);

        float[] unfolded;
        using (new KernelOptionsScope(o => o with { FoldBatchNorm = false }))
            unfolded = model.Predict(images, batchSize: batch).Data;
        if (model is Sequential)
        {
            Assert.Equal(LayerByLayer(model, x, batch).Select(BitConverter.SingleToInt32Bits), unfolded.Select(BitConverter.SingleToInt32Bits));
        }

        float[] folded = model.Predict(images, batchSize: batch).Data;
        for (int i = 0; i < unfolded.Length; i++) Assert.Equal(unfolded[i], folded[i], 2e-5f);
        if (model.Layers.Any(l => l is BatchNormalization))
            Assert.NotEqual(unfolded.Select(BitConverter.SingleToInt32Bits), folded.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// On fewer images than two chunks a thread, each thread convolves the rows of a band of pooled rows and pools them:
    /// the layers' bits, for windows that tile the map (2×2 at 2) and windows that overlap (3×3 at 2, a row convolved
    /// by two bands), with GELU after the pool, on one to three threads; 'same' padding pads each band where it meets
    /// the image's edge (a 4×4 kernel: one row above, two below). With two chunks a thread or more (33 and 40 images),
    /// each thread convolves and pools whole chunks, a padded geometry image by image.
    /// </summary>
    [Theory]
    [InlineData(1, 2, 2, 3, Padding.Valid)]
    [InlineData(1, 3, 2, 3, Padding.Valid)]
    [InlineData(3, 3, 2, 3, Padding.Valid)]
    [InlineData(2, 2, 3, 3, Padding.Valid)]
    [InlineData(1, 2, 2, 3, Padding.Same)]
    [InlineData(1, 3, 3, 3, Padding.Same)]
    [InlineData(1, 3, 2, 4, Padding.Same)]
    [InlineData(2, 2, 2, 4, Padding.Same)]
    [InlineData(33, 2, 2, 3, Padding.Same)]
    [InlineData(40, 3, 2, 4, Padding.Same)]
    [InlineData(33, 2, 2, 3, Padding.Valid)]
    public void Convolution_then_pool_by_bands_gives_the_layers_bits(int batch, int window, int threads, int kernel, Padding padding)
    {
        using var engine = new EngineThreads(threads);
        var model = new Sequential(
            new Conv2D(35, (kernel, kernel), Activation.Relu, padding, inputShape: new Shape(23, 19, 5)),
            new MaxPool2D((window, window), strides: (2, 2)),
            new Gelu(),
            new Flatten(),
            new Dense(4, Activation.Softmax)) { Seed = 14 };
        model.Build();
        var rng = new Rng(15);
        var x = new float[batch * 23 * 19 * 5];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        var images = new Tensor(new Shape(batch, 23, 19, 5), x);
        float[] predicted = model.Predict(images, batchSize: batch).Data;
        Assert.Equal(LayerByLayer(model, x, batch).Select(BitConverter.SingleToInt32Bits), predicted.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>GELU after a convolution (or after its max-pool) runs in the convolution's epilogue; a ReLU
    /// convolution keeps its GELU layer. Element-wise either way, so the same bits as the layers one by one.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]   // Winograd from 8 images: GELU after it
    public void Gelu_after_a_convolution_or_its_pool_gives_the_layers_bits(int batch)
    {
        var model = new Sequential(
            new Conv2D(64, (3, 3), padding: Padding.Same, inputShape: new Shape(7, 7, 65)),
            new Gelu(),
            new Conv2D(36, (3, 3), padding: Padding.Same),
            new MaxPool2D((2, 2)),
            new Gelu(),
            new Conv2D(34, (3, 3), Activation.Relu, Padding.Same),
            new Gelu(),
            new Flatten(),
            new Dense(5, Activation.Softmax)) { Seed = 12 };
        model.Build();
        var rng = new Rng(13);
        var x = new float[batch * 7 * 7 * 65];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        float[] predicted = model.Predict(new Tensor(new Shape(batch, 7, 7, 65), x), batchSize: batch).Data;
        Assert.Equal(LayerByLayer(model, x, batch).Select(BitConverter.SingleToInt32Bits), predicted.Select(BitConverter.SingleToInt32Bits));
        if (batch >= Engine.KernelOptions.WinogradMinBatch)
        {
            // Winograd did run: im2col rounds differently.
            using var im2col = new EngineWinograd(WinogradUse.Never);
            float[] plain = model.Predict(new Tensor(new Shape(batch, 7, 7, 65), x), batchSize: batch).Data;
            Assert.NotEqual(plain.Select(BitConverter.SingleToInt32Bits), predicted.Select(BitConverter.SingleToInt32Bits));
        }
    }

    /// <summary>
    /// A residual block as imported from ONNX (convolution → BatchNormalization → ReLU, convolution →
    /// BatchNormalization → Add → ReLU, a strided 1×1 shortcut): the ReLUs and the Add run in the convolutions'
    /// epilogues. Without folding, the layers' own bits (a ReLU after a linear convolution is element-wise either way);
    /// with it, the same to rounding, at batch 1 (implicit GEMM) and above the Winograd threshold.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    public void Relu_and_residual_add_run_in_the_convolutions_epilogue(int batch)
    {
        var inputs = new Input((9, 7, 5));
        var x = new Conv2D(33, (3, 3), padding: Padding.Same).Call(inputs);
        x = new ReLU().Call(new BatchNormalization().Call(x));
        var y = new Conv2D(35, (3, 3), padding: Padding.Same, strides: (2, 2)).Call(x);
        y = new ReLU().Call(new BatchNormalization().Call(y));
        y = new Conv2D(35, (3, 3), padding: Padding.Same, useBias: false).Call(y);
        y = new BatchNormalization().Call(y);
        var shortcut = new BatchNormalization().Call(new Conv2D(35, (1, 1), strides: (2, 2), useBias: false).Call(x));
        var sum = new ReLU().Call(new Add().Call(y, shortcut));
        var z = new Conv2D(35, (3, 3), padding: Padding.Same).Call(sum);
        z = new ReLU().Call(new Add().Call(sum, z));   // no normalisation: the Add right after the convolution
        var outputs = new Dense(4, Activation.Softmax).Call(new GlobalAveragePooling2D().Call(z));
        var model = new Model(inputs, outputs) { Seed = 21 };
        model.Build();
        RandomiseNormalisations(model, new Rng(22));
        var fusion = InferenceFusion.Plan(model);
        Assert.Equal(4, fusion.Count(f => f.Relu > 0));
        Assert.Equal(2, fusion.Count(f => f.Add > 0));
        var rng = new Rng(23);
        var pixels = new float[batch * 9 * 7 * 5];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = rng.NextSingle() * 2 - 1;
        var images = new Tensor(new Shape(batch, 9, 7, 5), pixels);
        float[] unfolded;
        using (new KernelOptionsScope(o => o with { FoldBatchNorm = false }))
            unfolded = model.Predict(images, batchSize: batch).Data;
        float[] layers = Unfused(model, images, batch);   // after a prediction has planned the layers for the batch
        Assert.Equal(layers.Select(BitConverter.SingleToInt32Bits), unfolded.Select(BitConverter.SingleToInt32Bits));
        float[] fused = model.Predict(images, batchSize: batch).Data;
        for (int i = 0; i < layers.Length; i++) Assert.Equal(layers[i], fused[i], 2e-5f);
    }

    /// <summary>Inference takes Winograd at batch 1 on output maps of <see cref="KernelOptions.WinogradMinPixels"/>
    /// pixels or more (its rounding differs from the implicit GEMM's), and not on smaller ones.</summary>
    [Theory]
    [InlineData(14, true)]
    [InlineData(13, false)]
    public void Winograd_runs_at_batch_one_on_large_maps_only(int side, bool winograd)
    {
        var model = new Sequential(
            new Conv2D(32, (3, 3), padding: Padding.Same, inputShape: new Shape(side, side, 64)),
            new Flatten()) { Seed = 31 };   // the convolution's own outputs: an average would hide last-bit differences
        model.Build();
        var rng = new Rng(32);
        var x = new float[side * side * 64];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        var image = new Tensor(new Shape(1, side, side, 64), x);
        float[] predicted = model.Predict(image, batchSize: 1).Data;
        float[] plain;
        using (new EngineWinograd(WinogradUse.Never))
            plain = model.Predict(image, batchSize: 1).Data;
        var bits = predicted.Select(BitConverter.SingleToInt32Bits);
        if (winograd) Assert.NotEqual(plain.Select(BitConverter.SingleToInt32Bits), bits);
        else Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), bits);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], predicted[i], 1e-5f);
    }

    /// <summary>The model's prediction with every node run as its own layer, on the whole batch.</summary>
    private static float[] Unfused(Model model, Tensor images, int batch)
    {
        var values = new float[model.ValueShapes.Count][];
        values[0] = images.Data;   // value 0: the input
        foreach (var node in model.Nodes)
        {
            var output = new float[batch * model.ValueShapes[node.Output].Size];
            node.Layer.Forward(output, node.Inputs.Select(v => values[v]).ToArray(), batch, training: false);
            values[node.Output] = output;
        }
        return values[model.Nodes[^1].Output];
    }

    /// <summary>A Normalization before a 'valid' convolution is folded into its kernel and bias (the same to
    /// rounding); before a 'same' one it is not (its zero padding would be normalised too): the same bits.</summary>
    [Theory]
    [InlineData(Padding.Valid)]
    [InlineData(Padding.Same)]
    public void An_input_normalisation_folds_into_a_valid_convolution(Padding padding)
    {
        var model = new Sequential(
            new Normalization([0.4f, 0.5f, 0.6f], [0.05f, 0.07f, 0.06f], inputShape: new Shape(9, 8, 3)),
            new Conv2D(24, (2, 2), padding: padding),
            new Gelu(),
            new Flatten(),
            new Dense(4, Activation.Softmax)) { Seed = 14 };
        model.Build();
        var rng = new Rng(15);
        var x = new float[3 * 9 * 8 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var images = new Tensor(new Shape(3, 9, 8, 3), x);
        float[] unfolded;
        using (new KernelOptionsScope(o => o with { FoldBatchNorm = false }))
            unfolded = model.Predict(images, batchSize: 3).Data;
        float[] folded = model.Predict(images, batchSize: 3).Data;
        if (padding == Padding.Same)
        {
            Assert.Equal(unfolded.Select(BitConverter.SingleToInt32Bits), folded.Select(BitConverter.SingleToInt32Bits));
            return;
        }
        Assert.NotEqual(unfolded.Select(BitConverter.SingleToInt32Bits), folded.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < unfolded.Length; i++) Assert.Equal(unfolded[i], folded[i], 1e-5f);
    }

    /// <summary>A normalisation with a negative scale after a max-pool cannot be folded through it (the max of the
    /// scaled values is the scaled min); right after a convolution it can. Either way the prediction holds.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Negative_scales_fold_only_where_no_max_pool_is_in_between(bool pooled)
    {
        var layers = new List<Layer> { new Conv2D(8, (3, 3), padding: Padding.Same, useBias: true, inputShape: new Shape(6, 6, 3)) };
        if (pooled) layers.Add(new MaxPool2D((2, 2)));
        layers.Add(new BatchNormalization());
        layers.Add(new Flatten());
        layers.Add(new Dense(3, Activation.Softmax));
        var model = new Sequential(layers) { Seed = 5 };
        model.Build();
        var norm = (BatchNormalization)model.Layers.First(l => l is BatchNormalization);
        var gamma = norm.Weights.First(p => p.Name == "gamma").Value;
        for (int c = 0; c < gamma.Length; c++) gamma[c] = c % 2 == 0 ? -1.5f : 0.75f;
        RandomiseNormalisations(model, new Rng(3), keepGamma: true);
        var rng = new Rng(2);
        var x = new float[4 * 6 * 6 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() - 0.5f;
        var images = new Tensor(new Shape(4, 6, 6, 3), x);
        float[] unfolded;
        using (new KernelOptionsScope(o => o with { FoldBatchNorm = false }))
            unfolded = model.Predict(images, batchSize: 4).Data;
        float[] folded = model.Predict(images, batchSize: 4).Data;
        if (pooled) Assert.Equal(unfolded.Select(BitConverter.SingleToInt32Bits), folded.Select(BitConverter.SingleToInt32Bits));
        else
        {
            Assert.NotEqual(unfolded.Select(BitConverter.SingleToInt32Bits), folded.Select(BitConverter.SingleToInt32Bits));
            for (int i = 0; i < unfolded.Length; i++) Assert.Equal(unfolded[i], folded[i], 1e-5f);
        }
    }

    /// <summary>An imported network's explicit paddings (ResNet-18's stem and stride-2 convolutions, asymmetric
    /// here) fold into the max-pool or the 'valid' convolution after them: the same bits as the layers one by one,
    /// on the implicit GEMM and by Winograd; a 1×1 kernel, a 3×3 one padded by 3 and a padding read twice do not fold.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Explicit_paddings_fold_into_the_pool_or_convolution_after_them_bit_for_bit(int batch)
    {
        var inputs = new Input((33, 31, 3));
        var x = new ZeroPadding2D(3, 2, 3, 2).Call(inputs);
        x = new ReLU().Call(new BatchNormalization().Call(new Conv2D(64, (7, 7), strides: (2, 2), useBias: false).Call(x)));
        x = new ZeroPadding2D(1, 0, 0, 1, ZeroPadding2D.MaxPoolFill).Call(x);
        x = new MaxPool2D((3, 3), (1, 1)).Call(x);                                   // 17 × 16: by Winograd at batch 1
        x = new ZeroPadding2D(1, 2, 0, 1).Call(x);
        x = new Conv2D(32, (3, 3), activation: Activation.Relu).Call(x);             // stride 1, Winograd
        var y = new ZeroPadding2D(0, 1, 1, 0).Call(x);
        y = new ReLU().Call(new BatchNormalization().Call(new Conv2D(35, (3, 3), strides: (2, 2)).Call(y)));
        var z = new ZeroPadding2D(3, 0, 0, 3).Call(y);
        z = new Conv2D(35, (3, 3)).Call(z);                                          // padded by 3: not folded
        var w = new ZeroPadding2D(1, 1, 1, 1).Call(z);
        var pointwise = new Conv2D(35, (1, 1)).Call(w);                              // pointwise: not folded
        var twice = new ZeroPadding2D(1, 1, 1, 1).Call(pointwise);
        var sum = new Add().Call(new Conv2D(35, (3, 3)).Call(twice), new Conv2D(35, (3, 3)).Call(twice));
        var outputs = new Dense(4, Activation.Softmax).Call(new GlobalAveragePooling2D().Call(sum));
        var model = new Model(inputs, outputs) { Seed = 31 };
        model.Build();
        RandomiseNormalisations(model, new Rng(32));
        var fusion = InferenceFusion.Plan(model);
        var nodes = model.Nodes;
        Assert.Equal(3, Enumerable.Range(0, nodes.Count).Count(j => nodes[j].Layer is ZeroPadding2D && fusion[j].InputOf > 0));
        Assert.Equal(1, Enumerable.Range(0, nodes.Count).Count(j => nodes[j].Layer is ZeroPadding2D && fusion[j].Pool > 0));
        var rng = new Rng(33);
        var pixels = new float[batch * 33 * 31 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = rng.NextSingle() * 2 - 1;
        var images = new Tensor(new Shape(batch, 33, 31, 3), pixels);
        float[] unfolded;
        using (new KernelOptionsScope(o => o with { FoldBatchNorm = false }))
            unfolded = model.Predict(images, batchSize: batch).Data;
        float[] layers = Unfused(model, images, batch);
        Assert.Equal(layers.Select(BitConverter.SingleToInt32Bits), unfolded.Select(BitConverter.SingleToInt32Bits));
        float[] fused = model.Predict(images, batchSize: batch).Data;
        for (int i = 0; i < layers.Length; i++) Assert.Equal(layers[i], fused[i], 2e-5f);
    }

    /// <summary>A ZeroPadding2D that folds into nothing pads on every thread at inference, in bands of rows at batch
    /// 1: the same bits as one thread (training's forward) and as the padding written out by hand.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void A_padding_left_on_its_own_splits_over_the_pool_bit_for_bit(int batch)
    {
        var model = new Sequential(new ZeroPadding2D(2, 1, 0, 3, -0f, inputShape: new Shape(40, 37, 23)), new GlobalAveragePooling2D()) { Seed = 3 };
        model.Build();
        var pad = (ZeroPadding2D)model.Layers[0];
        var rng = new Rng(4);
        var x = new float[batch * 40 * 37 * 23];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() - 0.5f;
        int size = (int)pad.OutputShape.Size;
        var expected = new float[batch * size];
        for (int n = 0; n < batch; n++)
            for (int r = 0; r < 43; r++)
                for (int col = 0; col < 40; col++)
                    for (int c = 0; c < 23; c++)
                    {
                        int ir = r - 2, ic = col;
                        expected[n * size + (r * 40 + col) * 23 + c] =
                            ir >= 0 && ir < 40 && ic < 37 ? x[((n * 40 + ir) * 37 + ic) * 23 + c] : -0f;
                    }
        var inference = new float[batch * size];
        pad.Forward(inference, [x], batch, training: false);
        var training = new float[batch * size];
        pad.Forward(training, [x], batch, training: true);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), inference.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), training.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>A sequential model's inference computed one layer at a time, on the whole batch.</summary>
    private static float[] LayerByLayer(Model model, float[] x, int batch)
    {
        float[] value = x;
        foreach (Layer layer in model.Layers)
        {
            var next = new float[batch * layer.OutputShape.Size];
            layer.Forward(next, [value], batch, training: false);
            value = next;
        }
        return value;
    }

    /// <summary>Moving statistics (and β, γ unless kept) away from their initial 0 and 1, so that folding has something to fold.</summary>
    private static void RandomiseNormalisations(Model model, Rng rng, bool keepGamma = false)
    {
        foreach (var norm in model.Layers.OfType<BatchNormalization>())
            foreach (var p in norm.Weights)
            {
                if (keepGamma && p.Name == "gamma") continue;
                var v = p.Value;
                for (int i = 0; i < v.Length; i++)
                    v[i] = p.Name switch
                    {
                        "moving_variance" => 0.5f + rng.NextSingle(),
                        "gamma" => 0.5f + rng.NextSingle(),
                        _ => rng.NextSingle() - 0.5f,
                    };
            }
    }
}
