using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// 2-D convolution with stride 1, Keras's <c>Conv2D</c>: NHWC input, kernel [kh, kw, cin, filters].
/// Computed as im2col + one GEMM over the whole batch; the unfolded patches are kept for the kernel gradient,
/// and their buffer is reused for the input gradient once that is done.
/// </summary>
public sealed class Conv2D : Layer
{
    private Parameter _kernel = null!;
    private Parameter _bias = null!;
    private ConvGeometry _g;
    private float[] _cols = [];
    private readonly ImageWork _unfold;
    private readonly ImageWork _fold;
    private readonly BiasBackward _biasBackward = new();

    public Conv2D(int filters, (int Height, int Width) kernelSize, Activation activation = Activation.Linear,
        Padding padding = Padding.Valid, string? name = null, Shape? inputShape = null)
        : base(name, inputShape)
    {
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
        _unfold = new ImageWork(this, fold: false);
        _fold = new ImageWork(this, fold: true);
    }

    /// <summary>A square kernel: <c>new Conv2D(32, 3)</c> is <c>Conv2D(32, (3, 3))</c>.</summary>
    public Conv2D(int filters, int kernelSize, Activation activation = Activation.Linear,
        Padding padding = Padding.Valid, string? name = null, Shape? inputShape = null)
        : this(filters, (kernelSize, kernelSize), activation, padding, name, inputShape) { }

    public int Filters { get; }
    public (int Height, int Width) KernelSize { get; }
    public Activation Activation { get; }
    public Padding Padding { get; }
    public override string TypeName => "Conv2D";
    public override string NameStem => "conv2d";

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
        return Padding == Padding.Same ? ConvGeometry.Same(h, w, s[2], kh, kw) : new ConvGeometry(h, w, s[2], kh, kw, 1, 1, 0, 0, 0, 0);
    }

    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        _g = Geometry(inputShape);
        int kh = KernelSize.Height, kw = KernelSize.Width, cin = inputShape[2];
        _kernel = AddWeight("kernel", new Shape(kh, kw, cin, Filters));
        _bias = AddWeight("bias", new Shape(Filters));
        Initializers.GlorotUniform(_kernel.Value, kh * kw * cin, kh * kw * Filters, rng);
    }

    internal override IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) =>
        [("kernel", new Shape(KernelSize.Height, KernelSize.Width, inputShape[2], Filters)), ("bias", new Shape(Filters))];

    internal override long ScratchPerSample(Shape inputShape) => Geometry(inputShape) is var g ? (long)g.OutPixels * g.PatchSize : 0;

    protected override void AllocateScratch(int batchCapacity) => _cols = new float[(long)batchCapacity * _g.OutPixels * _g.PatchSize];

    public override void Forward(float[] output, float[] input, int batch, bool training)
    {
        CheckCapacity(batch);
        int rows = batch * _g.OutPixels, k = _g.PatchSize;
        _unfold.Run(input, batch);
        // out[B·OH·OW, filters] = cols[B·OH·OW, kh·kw·cin] · kernel[kh·kw·cin, filters] + bias (+ relu)
        Sgemm.Multiply(rows, Filters, k, _cols.AsSpan(0, rows * k), k, false, _kernel.Value, Filters, false,
            output.AsSpan(0, rows * Filters), Filters, bias: _bias.Value, relu: Activation == Activation.Relu, threads: Engine.Threads);
    }

    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, int batch)
    {
        CheckCapacity(batch);
        int rows = batch * _g.OutPixels, k = _g.PatchSize;
        var dz = outputGrad.AsSpan(0, rows * Filters);
        // dz = dy ⊙ relu'(z) in place, and dbias += Σ dz, in one parallel sweep
        _biasBackward.Run(_bias.Gradient, outputGrad, output, rows, Filters, Activation == Activation.Relu);
        // dkernel[kh·kw·cin, filters] += colsᵀ · dz   (cols still hold this batch's patches from forward)
        Sgemm.Multiply(k, Filters, rows, _cols.AsSpan(0, rows * k), k, true, dz, Filters, false, _kernel.Gradient, Filters,
            accumulate: true, threads: Engine.Threads);
        if (inputGrad is null) return;
        // dcols[B·OH·OW, kh·kw·cin] = dz · kernelᵀ, written over cols, then folded back onto the image grid.
        Sgemm.Multiply(rows, k, Filters, dz, Filters, false, _kernel.Value, Filters, true, _cols.AsSpan(0, rows * k), k, threads: Engine.Threads);
        _fold.Run(inputGrad, batch);
    }

    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["filters"] = Filters;
        c["kernel_size"] = new JsonArray(KernelSize.Height, KernelSize.Width);
        c["padding"] = Padding.ToString().ToLowerInvariant();
        c["activation"] = Activation.ToString().ToLowerInvariant();
        return c;
    }

    /// <summary>im2col (or col2im) for each image of the batch, images split across the worker pool.</summary>
    private sealed class ImageWork(Conv2D layer, bool fold) : IParallelWork
    {
        private float[] _images = [];

        public void Run(float[] images, int batch)
        {
            _images = images;
            WorkerPool.Shared.Run(this, batch);
            _images = [];
        }

        public void Execute(int image)
        {
            ref readonly var g = ref layer._g;
            var cols = layer._cols.AsSpan(image * g.OutPixels * g.PatchSize, g.OutPixels * g.PatchSize);
            var img = _images.AsSpan(image * g.InputSize, g.InputSize);
            if (fold) Im2Col.Fold(img, cols, g);
            else Im2Col.Unfold(cols, img, g);
        }
    }
}
