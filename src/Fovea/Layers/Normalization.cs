using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// y = (x − mean) / √variance per channel (last axis), Keras's <c>Normalization(mean=…, variance=…)</c>: puts the
/// dataset's statistics inside the model, so that it takes pixels in [0, 1] like every Fovea model. The statistics
/// are non-trainable weights, saved with the model.
/// </summary>
public sealed class Normalization : UnaryLayer, ILayerFactory
{
    private readonly float[] _mean;
    private readonly float[] _variance;
    private Parameter _meanWeight = null!;
    private Parameter _varianceWeight = null!;
    private float[] _scale = [];
    private float[] _shift = [];

    /// <summary>Normalisation with a fixed per-channel <paramref name="mean"/> and <paramref name="variance"/> (one value per channel, variances positive).</summary>
    public Normalization(float[] mean, float[] variance, string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        if (mean.Length == 0 || mean.Length != variance.Length)
            throw new ArgumentException($"mean and variance must have one value per channel; got {mean.Length} and {variance.Length}", nameof(variance));
        if (variance.Any(v => !(v > 0) || !float.IsFinite(v)))
            throw new ArgumentOutOfRangeException(nameof(variance), $"variances must be positive; got [{string.Join(", ", variance)}]");
        _mean = (float[])mean.Clone();
        _variance = (float[])variance.Clone();
    }

    /// <summary>For a model file: the statistics come with the weights.</summary>
    internal Normalization(int channels, string? name, Shape? inputShape) : this(new float[channels], Enumerable.Repeat(1f, channels).ToArray(), name, inputShape) { }

    /// <summary>Number of channels the statistics cover.</summary>
    public int Channels => _mean.Length;

    /// <summary>Replaces the statistics, e.g. with those of the training set (Keras's <c>adapt</c>).</summary>
    public void SetStatistics(float[] mean, float[] variance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        if (mean.Length != Channels || variance.Length != Channels)
            throw new ArgumentException($"mean and variance must have {Channels} values; got {mean.Length} and {variance.Length}");
        if (variance.Any(v => !(v > 0) || !float.IsFinite(v)))
            throw new ArgumentOutOfRangeException(nameof(variance), $"variances must be positive; got [{string.Join(", ", variance)}]");
        mean.CopyTo(_mean, 0);
        variance.CopyTo(_variance, 0);
        if (!IsBuilt) return;
        mean.CopyTo(_meanWeight.Value);
        variance.CopyTo(_varianceWeight.Value);
    }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Normalization";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "normalization";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1 || inputShape[^1] != Channels)
            throw new ArgumentException($"Normalization has statistics for {Channels} channels; got input {inputShape}");
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        _meanWeight = AddWeight("mean", new Shape(Channels), trainable: false);
        _varianceWeight = AddWeight("variance", new Shape(Channels), trainable: false);
        _mean.CopyTo(_meanWeight.Value);
        _variance.CopyTo(_varianceWeight.Value);
    }

    internal override IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) =>
        [("mean", new Shape(Channels)), ("variance", new Shape(Channels))];

    /// <summary>y = x·scale + shift per channel, as <see cref="Forward"/> computes it: what a following 'valid'
    /// convolution folds into its kernel and bias at inference.</summary>
    internal void Affine(Span<float> scale, Span<float> shift)
    {
        ReadOnlySpan<float> mean = _meanWeight.Current, variance = _varianceWeight.Current;
        for (int k = 0; k < Channels; k++)
        {
            scale[k] = 1f / MathF.Sqrt(variance[k]);
            shift[k] = -mean[k] * scale[k];
        }
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int c = Channels, total = step.Batch * (int)OutputShape.Size;
        // Loaded weights may have replaced the statistics since the last call: the per-channel factors are cheap to redo.
        // They are laid out for a run of whole pixels (about 1,024 floats), so that a 3-channel image takes a few long
        // vector calls instead of one 3-float call per pixel (14 µs for a 32×32 image): the same products and sums.
        int run = c * Math.Max(1, 1024 / c);
        if (_scale.Length != run) (_scale, _shift) = (new float[run], new float[run]);
        ReadOnlySpan<float> mean = _meanWeight.Current, variance = _varianceWeight.Current;
        for (int k = 0; k < c; k++)
        {
            _scale[k] = 1f / MathF.Sqrt(variance[k]);
            _shift[k] = -mean[k] * _scale[k];
        }
        for (int k = c; k < run; k++) (_scale[k], _shift[k]) = (_scale[k - c], _shift[k - c]);
        for (int at = 0; at < total; at += run)
        {
            int n = Math.Min(run, total - at);
            TensorPrimitives.MultiplyAdd(input.AsSpan(at, n), _scale.AsSpan(0, n), _shift.AsSpan(0, n), output.AsSpan(at, n));
        }
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int total = step.Batch * (int)OutputShape.Size, run = _scale.Length;
        for (int at = 0; at < total; at += run)
        {
            int n = Math.Min(run, total - at);
            TensorPrimitives.Multiply(outputGrad.AsSpan(at, n), _scale.AsSpan(0, n), inputGrad.AsSpan(at, n));
        }
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Normalization(config.Int("channels", 1, 65536), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["channels"] = Channels;
        return c;
    }
}
