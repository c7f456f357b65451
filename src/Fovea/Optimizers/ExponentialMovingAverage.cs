using System.Diagnostics;
using Fovea.Layers;

namespace Fovea.Optimizers;

/// <summary>
/// Weights averaged over the last steps, as Keras's optimizers keep them with <c>use_ema=True</c>: after each step of
/// the inner optimiser, average ← average·momentum + weights·(1 − momentum), over the whole weight block (BatchNorm's
/// moving statistics included, as <see cref="Lookahead"/> averages them). Training goes on with the inner
/// optimiser's weights; when it ends the model keeps the average (Keras's <c>finalize_variable_values</c>).
/// </summary>
public sealed class ExponentialMovingAverage : Optimizer
{
    private float[] _average = [];
    private bool _pendingCopy = true;   // the average starts as the weights, known only at the first step

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="momentum"/> in [0, 1): the share of the average each step keeps.</summary>
    public ExponentialMovingAverage(Optimizer inner, float momentum = 0.99f) : base(1f, 0f)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum must be in [0, 1); got {momentum}");
        Inner = inner;
        Momentum = momentum;
    }

    /// <summary>The optimiser that takes the steps.</summary>
    public Optimizer Inner { get; }
    /// <summary>The share of the average each step keeps.</summary>
    public float Momentum { get; }
    /// <inheritdoc/>
    public override string Name => $"ema_{Inner.Name}";
    /// <inheritdoc/>
    public override float LearningRate { get => Inner.LearningRate; set => Inner.LearningRate = value; }

    internal override void Bind(IReadOnlyList<Parameter> trainable, int blockLength)
    {
        Inner.Bind(trainable, blockLength);
        _average = new float[blockLength];
        _pendingCopy = true;
        Iterations = 0;
    }

    internal override void OverrideRate(float? rate) => Inner.OverrideRate(rate);

    internal override void LaySpans(IReadOnlyList<Parameter> trainable) => Inner.LaySpans(trainable);

    internal override bool UpdatesEnded(Parameter p) => Inner.UpdatesEnded(p);

    internal override int GroupsEnded => Inner.GroupsEnded;

    /// <inheritdoc/>
    public override void Initialize(int parameterCount)
    {
        Inner.Initialize(parameterCount);
        // Outside a model (Bind sizes it to the whole weight block) the average covers the weights this counts.
        if (_average.Length == 0) _average = new float[parameterCount];
        _pendingCopy = true;
        Iterations = 0;
    }

    /// <inheritdoc/>
    public override void Step(Span<float> weights, ReadOnlySpan<float> gradients)
    {
        if (_pendingCopy)
        {
            if (_average.Length != weights.Length) _average = new float[weights.Length];
            weights.CopyTo(_average);
            _pendingCopy = false;
        }
        Inner.Step(weights, gradients);
        Iterations = Inner.Iterations;
        var average = _average.AsSpan(0, weights.Length);
        float keep = Momentum;
        for (int i = 0; i < average.Length; i++) average[i] = average[i] * keep + weights[i] * (1 - keep);
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay) =>
        throw new UnreachableException();

    internal override void EndTraining(Span<float> weights)
    {
        Inner.EndTraining(weights);
        if (!_pendingCopy) _average.AsSpan(0, weights.Length).CopyTo(weights);
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, float[]> GetSlots()
    {
        var slots = Inner.GetSlots().ToDictionary(kv => kv.Key, kv => kv.Value);
        slots["ema"] = _average;
        return slots;
    }

    /// <inheritdoc/>
    public override void Restore(long iterations, IReadOnlyDictionary<string, float[]> slots)
    {
        Inner.Restore(iterations, slots);
        base.Restore(iterations, slots);
        _pendingCopy = iterations == 0;
    }
}
