using System.Diagnostics;
using Fovea.Layers;
using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// Lookahead (Zhang et al. 2019) as the airbench recipes use it: every <see cref="SyncPeriod"/> steps of the inner
/// optimiser, slow ← slow + (fast − slow)·(1 − decay) and fast ← slow, over the whole weight block (BatchNorm's moving
/// statistics included, as the recipe averages the whole state). When training ends the model keeps the slow weights.
/// The decay may follow a schedule (the recipe ramps it as 0.95⁵·(step/total)³).
/// </summary>
public sealed class Lookahead : Optimizer
{
    private float[] _slow = [];
    private readonly LearningRateSchedule _decay;

    /// <summary>Wraps <paramref name="inner"/>: every <paramref name="syncPeriod"/> of its steps the slow weights move toward the fast
    /// ones by 1 − <paramref name="decay"/> (0.5 when null).</summary>
    public Lookahead(Optimizer inner, int syncPeriod = 5, LearningRateSchedule? decay = null) : base(1f, 0f)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (syncPeriod < 1) throw new ArgumentOutOfRangeException(nameof(syncPeriod), $"syncPeriod must be at least 1; got {syncPeriod}");
        Inner = inner;
        SyncPeriod = syncPeriod;
        _decay = decay ?? new Constant(0.5);
    }

    /// <summary>The optimiser that takes the fast steps.</summary>
    public Optimizer Inner { get; }
    /// <summary>Number of inner steps between two synchronisations of the slow weights.</summary>
    public int SyncPeriod { get; }
    /// <inheritdoc/>
    public override string Name => $"lookahead_{Inner.Name}";
    /// <inheritdoc/>
    public override float LearningRate { get => Inner.LearningRate; set => Inner.LearningRate = value; }

    internal override void Bind(IReadOnlyList<Parameter> trainable, int blockLength)
    {
        Inner.Bind(trainable, blockLength);
        _slow = new float[blockLength];
        _pendingCopy = true;
        Iterations = 0;
    }

    internal override void OverrideRate(float? rate) => Inner.OverrideRate(rate);

    internal override void LaySpans(IReadOnlyList<Parameter> trainable) => Inner.LaySpans(trainable);

    internal override bool UpdatesEnded(Parameter p) => Inner.UpdatesEnded(p);

    internal override int GroupsEnded => Inner.GroupsEnded;

    // The slow weights start as the model's weights; those are only known at the first step.
    private bool _pendingCopy;

    /// <inheritdoc/>
    public override void Initialize(int parameterCount)
    {
        Inner.Initialize(parameterCount);
        _pendingCopy = true;
        Iterations = 0;
    }

    /// <inheritdoc/>
    public override void Step(Span<float> weights, ReadOnlySpan<float> gradients)
    {
        if (_pendingCopy)
        {
            if (_slow.Length != weights.Length) _slow = new float[weights.Length];
            weights.CopyTo(_slow);
            _pendingCopy = false;
        }
        Inner.Step(weights, gradients);
        Iterations = Inner.Iterations;
        if (Iterations % SyncPeriod != 0) return;
        float keep = (float)_decay.At(Iterations);
        var slow = _slow.AsSpan(0, weights.Length);
        for (int i = 0; i < slow.Length; i++)
        {
            slow[i] += (weights[i] - slow[i]) * (1 - keep);
            weights[i] = slow[i];
        }
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay) =>
        throw new UnreachableException();

    internal override void EndTraining(Span<float> weights)
    {
        if (!_pendingCopy) _slow.AsSpan(0, weights.Length).CopyTo(weights);
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, float[]> GetSlots()
    {
        var slots = Inner.GetSlots().ToDictionary(kv => kv.Key, kv => kv.Value);
        slots["slow"] = _slow;
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
