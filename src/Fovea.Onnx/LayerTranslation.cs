using Fovea.Kernels;
using Fovea.Layers;
using static Fovea.Onnx.OnnxGraph;

namespace Fovea.Onnx;

/// <summary>
/// Writes each Fovea layer as the standard ONNX operators that compute the same function at inference. Weights are
/// copied into initializers in ONNX's layouts: a Conv2D kernel [kh, kw, cin, filters] becomes [filters, cin, kh, kw];
/// a Dense kernel [in, units] is Gemm's B as it is. Fovea's per-channel axis is always the last one; where a value is
/// channels-first, per-channel constants are shaped [C, 1, 1] and axes move to 1.
/// </summary>
internal sealed class LayerTranslation(OnnxGraph graph)
{
    /// <summary>The Keras type names that have an ONNX form, as the refusal of any other lists them.</summary>
    public static readonly IReadOnlyList<string> SupportedTypes =
    [
        "Conv2D", "Dense", "MaxPooling2D", "Flatten", "ReLU", "Softmax", "GELU", "BatchNormalization",
        "GlobalAveragePooling2D", "Rescaling", "Normalization", "Dropout", "Add", "Average", "Concatenate", "ZeroPadding2D",
    ];

    public static bool IsSupported(Layer layer) => layer is Conv2D or Dense or MaxPool2D or Flatten or ReLU or Softmax or Layers.Gelu
        or BatchNormalization or GlobalAveragePooling2D or Rescaling or Normalization or Dropout or Add or Average or Concatenate or ZeroPadding2D;

    /// <summary>
    /// The layer's output for <paramref name="inputs"/>, adding its nodes to the graph. With a
    /// <paramref name="temperature"/> (the model's last layer), the logits are divided by it: the input of a Softmax
    /// layer, the Gemm's output of a Dense with a softmax, the logarithm of a mean of probabilities
    /// (<paramref name="meanOfProbabilities"/>: an ensemble's, softmaxed again after the division), else the layer's output.
    /// </summary>
    public ExportedValue Translate(Layer layer, IReadOnlyList<ExportedValue> inputs, Shape output, double? temperature = null,
        bool meanOfProbabilities = false)
    {
        string name = layer.Name ?? layer.NameStem;
        if (temperature is not { } t) return Translate(layer, name, inputs, output, null);
        string divisor = graph.Scalar($"{name}/temperature", (float)t);
        if (meanOfProbabilities)
        {
            var mean = Translate(layer, name, inputs, output, null);
            string log = graph.Node("Log", $"{name}/log", [ChannelsLast(mean)]);
            string scaled = graph.Node("Div", $"{name}/scaled", [log, divisor]);
            return new ExportedValue($"{name}/tempered", output, graph.Node("Softmax", $"{name}/tempered", [scaled], Int("axis", -1)), null);
        }
        if (layer is Softmax)
        {
            var logits = inputs[0];
            var divided = new ExportedValue($"{name}/scaled", logits.Sample, graph.Node("Div", $"{name}/scaled", [ChannelsLast(logits), divisor]), null);
            return Translate(layer, name, [divided], output, null);
        }
        if (layer is Dense { Activation: Activation.Softmax }) return Translate(layer, name, inputs, output, divisor);
        var y = Translate(layer, name, inputs, output, null);
        return new ExportedValue($"{name}/scaled", output, graph.Node("Div", $"{name}/scaled", [ChannelsLast(y), divisor]), null);
    }

    private ExportedValue Translate(Layer layer, string name, IReadOnlyList<ExportedValue> inputs, Shape output, string? softmaxDivisor)
    {
        var x = inputs[0];
        return layer switch
        {
            Conv2D conv => Convolution(conv, name, x, output),
            Dense dense => DenseLayer(dense, name, x, output, softmaxDivisor),
            MaxPool2D pool => MaxPool(pool, name, x, output),
            Flatten => new ExportedValue(name, output, graph.Node("Flatten", name, [ChannelsLast(x)], Int("axis", 1)), null),
            ReLU => Elementwise(name, x, output, v => graph.Node("Relu", name, [v])),
            Layers.Gelu => Elementwise(name, x, output, v => Gelu(name, v)),
            Softmax => x.PrefersChannelsFirst
                ? new ExportedValue(name, output, null, graph.Node("Softmax", name, [x.ChannelsFirst!], Int("axis", 1)))
                : new ExportedValue(name, output, graph.Node("Softmax", name, [ChannelsLast(x)], Int("axis", -1)), null),
            BatchNormalization bn => BatchNorm(bn, name, x, output),
            GlobalAveragePooling2D => GlobalAveragePool(name, x, output),
            Rescaling r => Elementwise(name, x, output, v => Rescale(name, v, r.Scale, r.Offset)),
            Normalization norm => NormalizationLayer(norm, name, x, output),
            // Identity at inference: the output is the input under the same names.
            Dropout => x,
            Add => Merge(name, inputs, output, (names, _) => graph.Node(names.Count == 2 ? "Add" : "Sum", name, names)),
            Average => Merge(name, inputs, output, (names, _) => graph.Node("Mean", name, names)),
            ZeroPadding2D pad => new ExportedValue(name, output, null, graph.Node("Pad", name,
                [ChannelsFirst(x), graph.Int64Initializer($"{name}/pads", [0, 0, pad.Top, pad.Left, 0, 0, pad.Bottom, pad.Right]), graph.Scalar($"{name}/value", pad.Value)])),
            Concatenate => Merge(name, inputs, output, (names, channelsFirst) => graph.Node("Concat", name, names, Int("axis", channelsFirst ? 1 : -1))),
            _ => throw new InvalidOperationException($"layer '{name}' ({layer.TypeName}) has no ONNX form"),
        };
    }

    /// <summary>The value as [N, …sample] in Fovea's order, transposing an image from [N, C, H, W] the first time it is asked.</summary>
    public string ChannelsLast(ExportedValue v) =>
        v.ChannelsLast ??= graph.Node("Transpose", $"{v.Stem}/nhwc", [v.ChannelsFirst!], Ints("perm", 0, 2, 3, 1));

    /// <summary>The image value as [N, C, H, W], transposing from [N, H, W, C] the first time it is asked.</summary>
    public string ChannelsFirst(ExportedValue v)
    {
        if (!v.IsImage) throw new InvalidOperationException($"only (height, width, channels) values have a channels-first form; got {v.Sample}");
        return v.ChannelsFirst ??= graph.Node("Transpose", $"{v.Stem}/nchw", [v.ChannelsLast!], Ints("perm", 0, 3, 1, 2));
    }

    private ExportedValue Convolution(Conv2D conv, string name, ExportedValue x, Shape output)
    {
        var input = conv.InputShape;
        int kh = conv.KernelSize.Height, kw = conv.KernelSize.Width, cin = input[2], filters = conv.Filters;
        var (sh, sw) = conv.Strides;
        // Keras's 'same' puts the odd pixel of padding at the bottom and right: ONNX takes the four sides explicitly.
        var g = conv.Padding == Padding.Same
            ? ConvGeometry.Same(input[0], input[1], cin, kh, kw, sh, sw)
            : ConvGeometry.Valid(input[0], input[1], cin, kh, kw, sh, sw);
        var kernel = Weight(conv, "kernel");
        var w = new float[kernel.Length];
        for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
        for (int c = 0; c < cin; c++)
        for (int f = 0; f < filters; f++)
            w[((f * cin + c) * kh + i) * kw + j] = kernel[((i * kw + j) * cin + c) * filters + f];
        var inputs = new List<string> { ChannelsFirst(x), graph.Initializer($"{name}/kernel", [filters, cin, kh, kw], w) };
        if (conv.UseBias) inputs.Add(graph.Initializer($"{name}/bias", [filters], Weight(conv, "bias")));
        string y = graph.Node("Conv", conv.Activation == Activation.Relu ? $"{name}/conv" : name, inputs,
            Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
            Ints("dilations", 1, 1), Int("group", 1));
        if (conv.Activation == Activation.Relu) y = graph.Node("Relu", name, [y]);
        return new ExportedValue(name, output, null, y);
    }

    /// <summary>Gemm and its activation; <paramref name="softmaxDivisor"/>: a scalar the logits are divided by before the softmax.</summary>
    private ExportedValue DenseLayer(Dense dense, string name, ExportedValue x, Shape output, string? softmaxDivisor)
    {
        int inFeatures = dense.InputShape[0];
        var inputs = new List<string> { ChannelsLast(x), graph.Initializer($"{name}/kernel", [inFeatures, dense.Units], Weight(dense, "kernel")) };
        if (dense.UseBias) inputs.Add(graph.Initializer($"{name}/bias", [dense.Units], Weight(dense, "bias")));
        string y = graph.Node("Gemm", dense.Activation == Activation.Linear ? name : $"{name}/gemm", inputs);
        y = dense.Activation switch
        {
            Activation.Relu => graph.Node("Relu", name, [y]),
            Activation.Softmax => graph.Node("Softmax", name, [softmaxDivisor is null ? y : graph.Node("Div", $"{name}/scaled", [y, softmaxDivisor])], Int("axis", -1)),
            _ => y,
        };
        return new ExportedValue(name, output, y, null);
    }

    private ExportedValue MaxPool(MaxPool2D pool, string name, ExportedValue x, Shape output)
    {
        // Fovea pools 'valid' and rounds down, as ONNX's MaxPool does without pads and with ceil_mode 0.
        string y = graph.Node("MaxPool", name, [ChannelsFirst(x)],
            Ints("kernel_shape", pool.PoolSize.Height, pool.PoolSize.Width), Ints("strides", pool.Strides.Height, pool.Strides.Width));
        return new ExportedValue(name, output, null, y);
    }

    private ExportedValue GlobalAveragePool(string name, ExportedValue x, Shape output)
    {
        string pooled = graph.Node("GlobalAveragePool", $"{name}/pool", [ChannelsFirst(x)]); // [N, C, 1, 1]
        return new ExportedValue(name, output, graph.Node("Flatten", name, [pooled], Int("axis", 1)), null);
    }

    /// <summary>y = γ·(x − mean)/√(var + ε) + β with the moving statistics; γ = 1 without <c>scale</c>, β = 0 without <c>center</c>.</summary>
    private ExportedValue BatchNorm(BatchNormalization bn, string name, ExportedValue x, Shape output)
    {
        int c = x.Sample[^1];
        float[] mean = Weight(bn, "moving_mean"), variance = Weight(bn, "moving_variance");
        float[] gamma = bn.Scale ? Weight(bn, "gamma") : Enumerable.Repeat(1f, c).ToArray();
        float[] beta = bn.Center ? Weight(bn, "beta") : new float[c];
        // ONNX's BatchNormalization has its channels on axis 1: images channels-first, and [N, C].
        if (x.IsImage || x.Sample.Rank == 1)
        {
            string input = x.IsImage ? ChannelsFirst(x) : ChannelsLast(x);
            string y = graph.Node("BatchNormalization", name,
                [input, graph.Initializer($"{name}/gamma", [c], gamma), graph.Initializer($"{name}/beta", [c], beta),
                 graph.Initializer($"{name}/moving_mean", [c], mean), graph.Initializer($"{name}/moving_variance", [c], variance)],
                Float("epsilon", bn.Epsilon));
            return x.IsImage ? new ExportedValue(name, output, null, y) : new ExportedValue(name, output, y, null);
        }
        // Other ranks: the same function as a per-channel x·scale + shift on the last axis.
        var scale = new float[c];
        var shift = new float[c];
        for (int k = 0; k < c; k++)
        {
            scale[k] = (float)(gamma[k] / Math.Sqrt((double)variance[k] + bn.Epsilon));
            shift[k] = beta[k] - mean[k] * scale[k];
        }
        return ChannelAffine(name, x, output, scale, shift);
    }

    /// <summary>y = (x − mean)/√variance, computed as Fovea does: x·(1/√variance) + (−mean/√variance).</summary>
    private ExportedValue NormalizationLayer(Normalization norm, string name, ExportedValue x, Shape output)
    {
        float[] mean = Weight(norm, "mean"), variance = Weight(norm, "variance");
        var scale = new float[mean.Length];
        var shift = new float[mean.Length];
        for (int k = 0; k < mean.Length; k++)
        {
            scale[k] = 1f / MathF.Sqrt(variance[k]);
            shift[k] = -mean[k] * scale[k];
        }
        return ChannelAffine(name, x, output, scale, shift);
    }

    /// <summary>x·scale[c] + shift[c] per channel, in whichever order the value already has.</summary>
    private ExportedValue ChannelAffine(string name, ExportedValue x, Shape output, float[] scale, float[] shift)
    {
        bool first = x.PrefersChannelsFirst;
        long[] dims = first ? [scale.Length, 1, 1] : [scale.Length];
        string input = first ? x.ChannelsFirst! : ChannelsLast(x);
        string scaled = graph.Node("Mul", $"{name}/scale", [input, graph.Initializer($"{name}/scale", dims, scale)]);
        string y = graph.Node("Add", name, [scaled, graph.Initializer($"{name}/shift", dims, shift)]);
        return first ? new ExportedValue(name, output, null, y) : new ExportedValue(name, output, y, null);
    }

    /// <summary>An element-wise function: it runs in whichever order the value already has.</summary>
    private ExportedValue Elementwise(string name, ExportedValue x, Shape output, Func<string, string> op) =>
        x.PrefersChannelsFirst ? new ExportedValue(name, output, null, op(x.ChannelsFirst!)) : new ExportedValue(name, output, op(ChannelsLast(x)), null);

    /// <summary>GELU's exact form, x·½·(1 + erf(x/√2)), from opset-17 operators (Gelu itself arrives in opset 20).</summary>
    private string Gelu(string name, string x)
    {
        string scaled = graph.Node("Div", $"{name}/div", [x, graph.Scalar("sqrt2", MathF.Sqrt(2))]);
        string erf = graph.Node("Erf", $"{name}/erf", [scaled]);
        string onePlus = graph.Node("Add", $"{name}/add", [erf, graph.Scalar("one", 1f)]);
        string product = graph.Node("Mul", $"{name}/mul", [x, onePlus]);
        return graph.Node("Mul", name, [product, graph.Scalar("half", 0.5f)]);
    }

    private string Rescale(string name, string x, float scale, float offset)
    {
        string y = graph.Node("Mul", offset == 0 ? name : $"{name}/scale", [x, graph.Scalar($"{name}/scale", scale)]);
        return offset == 0 ? y : graph.Node("Add", name, [y, graph.Scalar($"{name}/offset", offset)]);
    }

    /// <summary>
    /// Add and Concatenate: all inputs in one order: channels-first if every image input has it (or neither order is
    /// common to all), else channels-last. <paramref name="op"/> gets the names and whether they are channels-first.
    /// </summary>
    private ExportedValue Merge(string name, IReadOnlyList<ExportedValue> inputs, Shape output, Func<List<string>, bool, string> op)
    {
        bool first = inputs[0].IsImage && (inputs.All(v => v.ChannelsFirst is not null) || !inputs.All(v => v.ChannelsLast is not null));
        var names = inputs.Select(v => first ? ChannelsFirst(v) : ChannelsLast(v)).ToList();
        string y = op(names, first);
        return first ? new ExportedValue(name, output, null, y) : new ExportedValue(name, output, y, null);
    }

    /// <summary>A copy of the layer's weight <paramref name="name"/>.</summary>
    private static float[] Weight(Layer layer, string name) =>
        (layer.Weights.FirstOrDefault(p => p.Name == name) ?? throw new InvalidOperationException($"layer '{layer.Name}' has no weight '{name}'")).Value.ToArray();
}
