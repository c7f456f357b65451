using System.Numerics.Tensors;
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
    private readonly BiasBackward _biasBackward = new();

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

    public int Filters { get; }
    public (int Height, int Width) KernelSize { get; }
    public Activation Activation { get; }
    public Padding Padding { get; }
    public (int Height, int Width) Strides { get; }
    public bool UseBias { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Conv2D";

    public override string TypeName => ClassName;
    public override string NameStem => "conv2d";
    internal override bool IndependentSamplesInTraining => true;

    // Backward unfolds the input again for the kernel gradient, and reads the output only for the ReLU mask.
    internal override bool BackwardNeedsOutput => Activation == Activation.Relu;

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

    /// <summary>Floats of convolution output per chunk of <see cref="ForwardPooled"/>: about 1 MB, so a chunk is
    /// pooled from the core's L2 while it is still there.</summary>
    private const int PooledChunkFloats = 1 << 18;

    private float[] _pooledChunk = [];

    /// <summary>
    /// Inference only: this convolution, then <paramref name="pool"/> (a max-pool), <paramref name="norm"/> (a
    /// BatchNormalization) and a GELU layer when given, as one step written straight into <paramref name="output"/>:
    /// <list type="bullet">
    /// <item>the pool runs chunk by chunk, so that the convolution's output is pooled from cache instead of being
    /// written out whole and read back (for the tutorial CNN's first layer, 29 MB per batch of 256);</item>
    /// <item>the normalisation is folded into the kernel and bias (kernel·scale, bias·scale + shift per filter; kept
    /// while no weight changes), through a max-pool only where every scale is positive (max and a positive affine map
    /// commute); otherwise this returns false, having done nothing;</item>
    /// <item>GELU is applied to each block of output while it is in the cache of the core that wrote it.</item>
    /// </list>
    /// Without a normalisation, the same values as the layers one by one (each output of a convolution is the same
    /// dot product whatever the batch it is computed in); folding rounds differently in the last bits, as ONNX
    /// Runtime's fused graphs do.
    /// </summary>
    internal bool ForwardInference(float[] output, float[] input, int batch, MaxPool2D? pool, BatchNormalization? norm, bool gelu,
                                   Normalization? inputNorm = null)
    {
        CheckCapacity(batch);
        if ((norm is not null || gelu) && Activation != Activation.Linear) return false;
        // An input normalisation folds only where no zero padding would be normalised too.
        if (inputNorm is not null && _g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight != 0) return false;
        ReadOnlyMemory<float> kernel, bias;
        bool unchanged;
        if (norm is not null || inputNorm is not null)
        {
            long now = Parameter.Generation;
            bool refold = now != _foldedGeneration || !ReferenceEquals(norm, _foldedFrom) || !ReferenceEquals(inputNorm, _foldedInput);
            if (refold) Fold(inputNorm, norm, now);
            if (pool is not null && norm is not null && !_foldScalesPositive) return false;
            unchanged = KernelUnchangedSinceLastInference(folded: true) && !refold;
            (kernel, bias) = (_foldedKernel, _foldedBias);
        }
        else
        {
            unchanged = KernelUnchangedSinceLastInference(folded: false);
            (kernel, bias) = (Values(_kernel), UseBias ? Values(_bias) : ReadOnlyMemory<float>.Empty);
        }
        bool relu = Activation == Activation.Relu;
        if (pool is null)
        {
            _conv.Forward(output, input, kernel, bias, relu, batch, kernelUnchanged: unchanged, training: false,
                allowWinograd: WinogradBatch(batch), gelu: gelu);
            return true;
        }
        int inSize = (int)InputShape.Size, convSize = (int)OutputShape.Size;
        int chunk = Math.Clamp(PooledChunkFloats / convSize, 1, Math.Max(batch, 1));
        if (_pooledChunk.Length < chunk * convSize) _pooledChunk = new float[chunk * convSize];
        for (int first = 0; first < batch; first += chunk)
        {
            int images = Math.Min(chunk, batch - first);
            _conv.Forward(_pooledChunk.AsMemory(0, images * convSize), input.AsMemory(first * inSize, images * inSize),
                kernel, bias, relu, images, kernelUnchanged: unchanged || first > 0, training: false,
                allowWinograd: WinogradBatch(batch));
            pool.PoolForInference(output, first, _pooledChunk, images, gelu);
        }
        return true;
    }

    private float[] _foldedKernel = [], _foldedBias = [], _foldScale = [], _foldShift = [];
    private long _foldedGeneration = -1;
    private BatchNormalization? _foldedFrom;
    private Normalization? _foldedInput;
    private bool _foldScalesPositive;

    /// <summary>
    /// The kernel and bias with <paramref name="inputNorm"/> before and <paramref name="norm"/> after folded in:
    /// x·a + b through the kernel is x·(kernel·a) + Σ kernel·b over the taps, and (y·s + t) per filter scales the
    /// kernel's column and maps the bias. Sums in double.
    /// </summary>
    private void Fold(Normalization? inputNorm, BatchNormalization? norm, long generation)
    {
        int f = Filters, taps = _g.PatchSize, c = _g.InChannels;
        if (_foldScale.Length != f) (_foldScale, _foldShift, _foldedBias) = (new float[f], new float[f], new float[f]);
        if (_foldedKernel.Length != _kernel.Length) _foldedKernel = new float[_kernel.Length];
        ReadOnlySpan<float> kernel = _kernel.Current;
        ReadOnlySpan<float> bias = UseBias ? _bias.Current : [];
        var sums = new double[f];
        for (int k = 0; k < f; k++) sums[k] = bias.IsEmpty ? 0.0 : bias[k];
        kernel.CopyTo(_foldedKernel);
        if (inputNorm is not null)
        {
            var (a, b) = (new float[c], new float[c]);
            inputNorm.Affine(a, b);
            for (int p = 0; p < taps; p++)
            {
                int channel = p % c;
                for (int k = 0; k < f; k++) sums[k] += (double)kernel[p * f + k] * b[channel];
                TensorPrimitives.Multiply(_foldedKernel.AsSpan(p * f, f), a[channel], _foldedKernel.AsSpan(p * f, f));
            }
        }
        if (norm is not null)
        {
            norm.InferenceAffine(_foldScale, _foldShift);
            _foldScalesPositive = _foldScale.All(v => v > 0);
            for (int p = 0; p < taps; p++)
                TensorPrimitives.Multiply(_foldedKernel.AsSpan(p * f, f), _foldScale, _foldedKernel.AsSpan(p * f, f));
            for (int k = 0; k < f; k++) sums[k] = sums[k] * _foldScale[k] + _foldShift[k];
        }
        for (int k = 0; k < f; k++) _foldedBias[k] = (float)sums[k];
        _foldedGeneration = generation;
        _foldedFrom = norm;
        _foldedInput = inputNorm;
    }

    private long _inferenceGeneration = -1;

    /// <summary>
    /// The batch of the inference call this layer is part of (set by the model; a replica's slice carries the whole
    /// batch's), or 0 for the batch a call gets. Winograd runs only from <see cref="WinogradMinBatch"/> images: below,
    /// its 16 small GEMMs per chunk lose to one implicit GEMM (measured at batch 1 against ONNX Runtime: the tutorial
    /// 0.98× with it, 1.09× without; airbench94 0.52× and 0.59×). So an image's probabilities may differ in the last
    /// bits between a batch below that size and one above it, never between thread counts.
    /// </summary>
    internal int InferenceBatch { get; set; }

    /// <summary>Fewest images in an inference call for Winograd.</summary>
    internal static int WinogradMinBatch = 8;

    private bool WinogradBatch(int batch) => (InferenceBatch > 0 ? InferenceBatch : batch) >= WinogradMinBatch;

    /// <summary>
    /// Whether no weight has changed since the last inference pass (<see cref="Parameter.Generation"/>), so that the
    /// plan may reuse what it derived from the kernel then (Winograd's transform: at batch 1 it cost more than the
    /// convolution itself). A training pass, or any other pass of the plan, makes the plan transform again anyway.
    /// </summary>
    private bool KernelUnchangedSinceLastInference(bool folded)
    {
        long now = Parameter.Generation;
        bool unchanged = now == _inferenceGeneration && folded == _inferenceFolded;
        _inferenceGeneration = now;
        _inferenceFolded = folded;
        return unchanged;
    }

    private bool _inferenceFolded;

    public override void Forward(float[] output, float[] input, int batch, bool training)
    {
        CheckCapacity(batch);
        // out[B, OH, OW, filters] = conv(input[B, H, W, cin], kernel[kh, kw, cin, filters]) + bias (+ relu)
        _conv.Forward(output, input, Values(_kernel), UseBias ? Values(_bias) : ReadOnlyMemory<float>.Empty, Activation == Activation.Relu, batch,
            kernelUnchanged: !training && KernelUnchangedSinceLastInference(folded: false), training: training, allowWinograd: training || WinogradBatch(batch));
    }

    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, int batch)
    {
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
        _conv.BackwardInput(inputGrad, outputGrad, Values(_kernel), batch);
    }

    private static ReadOnlyMemory<float> Values(Parameter p) => p.Storage.Values.AsMemory(p.Storage.Offset, p.Length);

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Conv2D(config.Int("filters", 1, 65536), config.Pair("kernel_size", 1, 64),
            config.Enum<Activation>("activation"), config.Enum<Padding>("padding"), name, inputShape,
            config.Has("strides") ? config.Pair("strides", 1, 64) : (1, 1), !config.Has("use_bias") || config.Bool("use_bias"));

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
