using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// Keras's <c>BatchNormalization</c> over the last (channel) axis of NHWC: in training each channel is normalised
/// with the batch's mean and variance, y = γ·(x − μ)/√(σ² + ε) + β, and the moving statistics follow
/// moving ← moving·momentum + batch·(1 − momentum); at inference the moving statistics are used. γ (<c>scale</c>)
/// and β (<c>center</c>) are optional; without γ it is frozen at 1, as airbench trains it. The moving statistics
/// are non-trainable weights. Backward recomputes x̂ from the input and the saved per-channel mean and 1/σ, so that
/// no extra activation-sized buffer is kept.
/// </summary>
public sealed class BatchNormalization : UnaryLayer, ILayerFactory
{
    private Parameter? _gamma;
    private Parameter? _beta;
    private Parameter _movingMean = null!;
    private Parameter _movingVariance = null!;
    private float[] _mean = [];
    private float[] _invStd = [];
    private float[] _variance = [];
    private float[] _frozenFactors = [];
    private float[] _combined = [];

    /// <summary>A batch normalisation layer with Keras's defaults; <paramref name="center"/> and <paramref name="scale"/> add the
    /// learnt β and γ.</summary>
    /// <param name="momentum">Weight of the old moving statistics at each training step, in [0, 1) (PyTorch's momentum is 1 − this).</param>
    /// <param name="epsilon">Added to the variance before the square root, for stability; positive.</param>
    /// <param name="center">Whether to learn an offset β.</param>
    /// <param name="scale">Whether to learn a factor γ; without it γ is 1.</param>
    /// <param name="name">The layer's name, or null for an automatic one.</param>
    /// <param name="inputShape">The per-sample input shape, when this is a Sequential's first layer.</param>
    public BatchNormalization(float momentum = 0.99f, float epsilon = 1e-3f, bool center = true, bool scale = true,
        string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum must be in [0, 1); got {momentum}");
        if (!(epsilon > 0) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive; got {epsilon}");
        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>Weight of the old moving statistics at each training step.</summary>
    public float Momentum { get; }
    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon { get; }
    /// <summary>Whether the layer learns an offset β.</summary>
    public bool Center { get; }
    /// <summary>Whether the layer learns a factor γ.</summary>
    public bool Scale { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "BatchNormalization";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "batch_normalization";
    internal override bool BackwardNeedsOutput => false;

    private int Channels => InputShape[^1];

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1) throw new ArgumentException($"BatchNormalization needs a channel axis; got {inputShape}");
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        int c = inputShape[^1];
        if (Scale)
        {
            _gamma = AddWeight("gamma", new Shape(c));
            _gamma.Value.Fill(1f);
        }
        if (Center) _beta = AddWeight("beta", new Shape(c));
        _movingMean = AddWeight("moving_mean", new Shape(c), trainable: false);
        _movingVariance = AddWeight("moving_variance", new Shape(c), trainable: false);
        _movingVariance.Value.Fill(1f);
        (_mean, _invStd, _variance) = (new float[c], new float[c], new float[c]);
    }

    internal override IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape)
    {
        var c = new Shape(inputShape[^1]);
        if (Scale) yield return ("gamma", c);
        if (Center) yield return ("beta", c);
        yield return ("moving_mean", c);
        yield return ("moving_variance", c);
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int c = Channels, rows = step.Batch * (int)(InputShape.Size / c);
        var x = input.AsSpan(0, rows * c);
        var y = output.AsSpan(0, rows * c);
        ReadOnlySpan<float> gamma = _gamma is null ? [] : _gamma.Current, beta = _beta is null ? [] : _beta.Current;
        // A frozen layer keeps its moving statistics and normalises with them, in training too (Keras's rule since 2.1).
        if (!step.Training || !Trainable)
        {
            BatchNorm.InferenceForward(y, x, _movingMean.Current, _movingVariance.Current, gamma, beta, rows, c, Epsilon);
            return;
        }
        BatchNorm.TrainingForward(y, _mean, _invStd, _variance, x, gamma, beta, rows, c, Epsilon);
        // A shard's replica keeps its batch statistics for the step's single update of the moving ones.
        if (!InShardReplica) UpdateMoving(_mean, _variance);
    }

    private void UpdateMoving(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        var mm = _movingMean.Value;
        var mv = _movingVariance.Value;
        for (int k = 0; k < mean.Length; k++)
        {
            mm[k] = mm[k] * Momentum + mean[k] * (1 - Momentum);
            mv[k] = mv[k] * Momentum + variance[k] * (1 - Momentum);
        }
    }

    // Ghost batch normalisation: each shard normalises with its own statistics, and the moving statistics take one
    // step per batch towards the mean over the shards of their means and (biased) variances.
    internal override bool TrainsInShards => true;
    internal override int ShardStatisticsLength => 2 * Channels;

    internal override void WriteShardStatistics(Span<float> destination)
    {
        int c = Channels;
        // A frozen layer normalised with its moving statistics: the mean then moves them nowhere.
        if (!Trainable)
        {
            _movingMean.Current.CopyTo(destination[..c]);
            _movingVariance.Current.CopyTo(destination.Slice(c, c));
            return;
        }
        _mean.AsSpan(0, c).CopyTo(destination[..c]);
        _variance.AsSpan(0, c).CopyTo(destination.Slice(c, c));
    }

    internal override void UpdateFromShardStatistics(ReadOnlySpan<float> statistics, int shards)
    {
        if (!Trainable) return;
        int c = Channels, row = 2 * c;
        if (_combined.Length != row) _combined = new float[row];
        var combined = _combined;
        for (int k = 0; k < row; k++)
        {
            double sum = 0;
            for (int s = 0; s < shards; s++) sum += statistics[s * row + k];
            combined[k] = (float)(sum / shards);
        }
        UpdateMoving(combined.AsSpan(0, c), combined.AsSpan(c, c));
    }

    /// <summary>
    /// The inference transform as y = x·scale + shift per channel, with the moving statistics: what a preceding
    /// convolution folds into its kernel and bias at inference (ONNX Runtime does the same when it optimises a graph).
    /// </summary>
    internal void InferenceAffine(Span<float> scale, Span<float> shift)
    {
        int c = Channels;
        ReadOnlySpan<float> mean = _movingMean.Current, variance = _movingVariance.Current;
        ReadOnlySpan<float> gamma = _gamma is null ? [] : _gamma.Current, beta = _beta is null ? [] : _beta.Current;
        for (int k = 0; k < c; k++)
        {
            double s = (gamma.IsEmpty ? 1.0 : gamma[k]) / Math.Sqrt((double)variance[k] + Epsilon);
            scale[k] = (float)s;
            shift[k] = (float)((beta.IsEmpty ? 0.0 : beta[k]) - mean[k] * s);
        }
    }

    /// <summary>dβ += Σdy, dγ += Σdy·x̂, dx = γ·(1/σ)/R·(R·dy − Σdy − x̂·Σ(dy·x̂)), with x̂ recomputed from x.</summary>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        int c = Channels, rows = step.Batch * (int)(InputShape.Size / c);
        // Frozen, or an inference pass that explanations differentiate: the inference transform's gradient.
        if (!Trainable || !step.Training)
        {
            FrozenBackward(inputGrad, outputGrad, rows, c);
            return;
        }
        BatchNorm.Backward(inputGrad is null ? [] : inputGrad.AsSpan(0, rows * c),
            _gamma is null ? [] : _gamma.Gradient, _beta is null ? [] : _beta.Gradient,
            outputGrad.AsSpan(0, rows * c), input.AsSpan(0, rows * c), _mean, _invStd,
            _gamma is null ? [] : _gamma.Current, rows, c);
    }

    /// <summary>A frozen layer's forward is the inference affine map, so dx = dy·γ/√(σ²moving + ε); γ and β get no
    /// gradient, as the optimiser leaves them alone.</summary>
    private void FrozenBackward(float[]? inputGrad, float[] outputGrad, int rows, int c)
    {
        if (inputGrad is null) return;
        if (_frozenFactors.Length != 2 * c) _frozenFactors = new float[2 * c];
        var factors = _frozenFactors;
        InferenceAffine(factors.AsSpan(0, c), factors.AsSpan(c, c));
        var dx = inputGrad.AsSpan(0, rows * c);
        var dy = outputGrad.AsSpan(0, rows * c);
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(dy.Slice(r * c, c), factors.AsSpan(0, c), dx.Slice(r * c, c));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new BatchNormalization(config.Float("momentum"), config.Float("epsilon"), config.Bool("center"), config.Bool("scale"), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var config = BaseConfig();
        config["momentum"] = Momentum;
        config["epsilon"] = Epsilon;
        config["center"] = Center;
        config["scale"] = Scale;
        return config;
    }
}
