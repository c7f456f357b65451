using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// 2-D convolution, Keras's <c>Conv2D</c>: NHWC input, kernel [kh, kw, cin, filters], any strides, 'valid' or
/// 'same' padding (TensorFlow's rule, so even kernels pad one more at the bottom/right), with or without a bias.
/// Computed by a <see cref="Convolution"/> plan: im2col + GEMM over tiles of whole images, so its scratch stays
/// the same whatever the batch size (the patches are unfolded again for the kernel gradient rather than kept).
/// </summary>
public sealed class Conv2D : UnaryLayer, ILayerFactory
{
    private Parameter _kernel = null!;
    private Parameter _bias = null!;
    private ConvGeometry _g;
    private Convolution _conv = null!;

    /// <inheritdoc/>
    internal override void ReleaseMemory() => _conv?.ReleaseMemory();
    private readonly BiasBackward _biasBackward = new();

    /// <summary>A convolution with <paramref name="filters"/> output channels and a <paramref name="kernelSize"/> window,
    /// as Keras's <c>Conv2D(filters, kernel_size, strides, padding, activation, use_bias)</c>; strides default to (1, 1).</summary>
    public Conv2D(int filters, (int Height, int Width) kernelSize, Activation activation = Activation.Linear,
        Padding padding = Padding.Valid, string? name = null, Shape? inputShape = null,
        (int Height, int Width)? strides = null, bool useBias = true)
        : base(name, inputShape)
    {
        var s = strides ?? (1, 1);
        if (s.Height <= 0 || s.Width <= 0) throw new ArgumentOutOfRangeException(nameof(strides), $"strides must be positive; got ({s.Height}, {s.Width})");
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"filters must be positive; got {filters}");
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"kernelSize must be positive; got ({kernelSize.Height}, {kernelSize.Width})");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), $"unknown activation {activation}");
        if (!Enum.IsDefined(padding)) throw new ArgumentOutOfRangeException(nameof(padding), $"unknown padding {padding}");
        if (activation == Activation.Softmax) throw new ArgumentException("Conv2D supports the linear and relu activations; got softmax", nameof(activation));
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
        Padding = padding;
        Strides = s;
        UseBias = useBias;
    }

    /// <summary>A square kernel: <c>new Conv2D(32, 3)</c> is <c>Conv2D(32, (3, 3))</c>.</summary>
    public Conv2D(int filters, int kernelSize, Activation activation = Activation.Linear,
        Padding padding = Padding.Valid, string? name = null, Shape? inputShape = null, int strides = 1, bool useBias = true)
        : this(filters, (kernelSize, kernelSize), activation, padding, name, inputShape, (strides, strides), useBias) { }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }
    /// <summary>Height and width of the convolution window.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }
    /// <summary>Whether the input is zero-padded (<see cref="Padding.Same"/>) or not.</summary>
    public Padding Padding { get; }
    /// <summary>Vertical and horizontal step of the window.</summary>
    public (int Height, int Width) Strides { get; }
    /// <summary>Whether a bias is added per output channel (off before a BatchNormalization, which has its own β).</summary>
    public bool UseBias { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Conv2D";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "conv2d";
    internal override bool IndependentSamplesInTraining => true;

    // Backward unfolds the input again for the kernel gradient, and reads the output only for the ReLU mask.
    internal override bool BackwardNeedsOutput => Activation == Activation.Relu;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ArgumentException($"Conv2D expects an input of shape (height, width, channels); got {inputShape}");
        var g = Geometry(inputShape);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"Conv2D kernel ({KernelSize.Height}, {KernelSize.Width}) is larger than its input {inputShape} with padding '{Padding.ToString().ToLowerInvariant()}'");
        return new Shape(g.OutHeight, g.OutWidth, Filters);
    }

    private ConvGeometry Geometry(Shape s)
    {
        int h = s[0], w = s[1], kh = KernelSize.Height, kw = KernelSize.Width;
        // 'same' pads k−1 in total; like TensorFlow, the odd one out goes at the bottom/right. 'valid' is built
        // unvalidated: ComputeOutputShape reports a kernel larger than the input in the layer's own words.
        var (sh, sw) = Strides;
        return Padding == Padding.Same ? ConvGeometry.Same(h, w, s[2], kh, kw, sh, sw) : new ConvGeometry(h, w, s[2], kh, kw, sh, sw, 0, 0, 0, 0);
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        _g = Geometry(inputShape);
        int kh = KernelSize.Height, kw = KernelSize.Width, cin = inputShape[2];
        _kernel = AddWeight("kernel", new Shape(kh, kw, cin, Filters));
        if (UseBias) _bias = AddWeight("bias", new Shape(Filters));
        _conv = new Convolution(_g, Filters);
        Initializers.GlorotUniform(_kernel.Value, kh * kw * cin, kh * kw * Filters, rng);
    }

    internal override IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) => UseBias
        ? [("kernel", new Shape(KernelSize.Height, KernelSize.Width, inputShape[2], Filters)), ("bias", new Shape(Filters))]
        : [("kernel", new Shape(KernelSize.Height, KernelSize.Width, inputShape[2], Filters))];

    /// <summary>One image's patch matrix: the plan's tiles hold at least one whole image (and, past a few million
    /// floats, exactly one), so this bounds what a sample can need.</summary>
    internal override long ScratchPerSample(Shape inputShape) => Geometry(inputShape) is var g ? (long)g.OutPixels * g.PatchSize : 0;

    /// <summary>The geometry of this layer's convolution over its input.</summary>
    internal ConvGeometry InputGeometry => _g;

    /// <summary>The kernel [kh, kw, cin, filters] and the bias (empty without one), in the model's weight block.</summary>
    internal (ReadOnlyMemory<float> Kernel, ReadOnlyMemory<float> Bias) WeightValues() =>
        (Values(_kernel), UseBias ? Values(_bias) : ReadOnlyMemory<float>.Empty);

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        CheckCapacity(step.Batch);
        // out[B, OH, OW, filters] = conv(input[B, H, W, cin], kernel[kh, kw, cin, filters]) + bias (+ relu)
        var (kernel, bias) = WeightValues();
        // A later shard of the training step this replica ran its last pass in (the weights move only between steps)
        // reuses what its convolution derived from the kernel, as the backward pass of the same shard does. The first
        // shard, and any pass outside a sharded step, derives it again: a caller may have written the weights through
        // a span taken earlier.
        long generation = Parameter.UpdateGeneration;
        bool unchanged = step.Training && step.Shard > 0 && _trainedGeneration == generation && _trainedSeed == step.Seed;
        (_trainedGeneration, _trainedSeed) = step.Training ? (generation, step.Seed) : (-1, 0);
        _conv.Forward(output, input, kernel, bias, Activation == Activation.Relu, step.Batch,
            kernelUnchanged: unchanged, training: step.Training, allowWinograd: step.AllowsWinogradOn(InputGeometry.OutPixels));
    }

    /// <summary><see cref="Parameter.UpdateGeneration"/> and the step's seed at this layer's last training forward pass (−1: none).</summary>
    private long _trainedGeneration = -1, _trainedSeed;

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        int batch = step.Batch;
        CheckCapacity(batch);
        int rows = batch * _g.OutPixels;
        // dz = dy ⊙ relu'(z) in place, and dbias += Σ dz, in one parallel sweep
        if (UseBias) _biasBackward.Run(_bias.Gradient, outputGrad, output, rows, Filters, Activation == Activation.Relu);
        else if (Activation == Activation.Relu) ActivationKernels.ReluBackward(outputGrad.AsSpan(0, rows * Filters), output.AsSpan(0, rows * Filters));
        // dkernel[kh·kw·cin, filters] += patchesᵀ · dz, the patches unfolded again tile by tile
        var (_, grads, offset) = _kernel.Storage;
        _conv.BackwardKernel(grads.AsMemory(offset, _kernel.Length), outputGrad, input, batch);
        if (inputGrad is null) return;
        // dinput = col2im(dz · kernelᵀ)
        _conv.BackwardInput(inputGrad, outputGrad, Values(_kernel), batch, kernelUnchanged: _trainedGeneration == Parameter.UpdateGeneration);
    }

    private static ReadOnlyMemory<float> Values(Parameter p) => p.Storage.Values.AsMemory(p.Storage.Offset, p.Length);

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Conv2D(config.Int("filters", 1, 65536), config.Pair("kernel_size", 1, 64),
            config.Enum<Activation>("activation"), config.Enum<Padding>("padding"), name, inputShape,
            config.Has("strides") ? config.Pair("strides", 1, 64) : (1, 1), !config.Has("use_bias") || config.Bool("use_bias"));

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["filters"] = Filters;
        c["kernel_size"] = new JsonArray(KernelSize.Height, KernelSize.Width);
        c["padding"] = Padding.ToString().ToLowerInvariant();
        c["strides"] = new JsonArray(Strides.Height, Strides.Width);
        c["use_bias"] = UseBias;
        c["activation"] = Activation.ToString().ToLowerInvariant();
        return c;
    }
}
