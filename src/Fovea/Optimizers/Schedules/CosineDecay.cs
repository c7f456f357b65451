namespace Fovea.Optimizers.Schedules;

/// <summary>
/// Keras's <c>CosineDecay</c>: an optional linear warm-up from <c>initialLearningRate</c> to <c>warmupTarget</c> over
/// <c>warmupSteps</c>, then a half cosine from the peak down to <c>alpha</c>·peak over <c>decaySteps</c>.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>A cosine decay over <paramref name="decaySteps"/> from <paramref name="initialLearningRate"/> (or from
    /// <paramref name="warmupTarget"/> after <paramref name="warmupSteps"/> of linear warm-up) down to <paramref name="alpha"/>·peak.</summary>
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0, double? warmupTarget = null, long warmupSteps = 0)
    {
        if (!(initialLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(initialLearningRate), $"initialLearningRate must be non-negative; got {initialLearningRate}");
        if (decaySteps < 1) throw new ArgumentOutOfRangeException(nameof(decaySteps), $"decaySteps must be positive; got {decaySteps}");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), $"warmupSteps must be non-negative; got {warmupSteps}");
        (InitialLearningRate, DecaySteps, Alpha, WarmupTarget, WarmupSteps) = (initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps);
    }

    /// <summary>The value at step 0, where the warm-up starts (or the decay when there is none).</summary>
    public double InitialLearningRate { get; }
    /// <summary>Steps of the cosine decay, after the warm-up.</summary>
    public long DecaySteps { get; }
    /// <summary>The final value, as a fraction of the peak.</summary>
    public double Alpha { get; }
    /// <summary>The peak the warm-up reaches; null for no warm-up.</summary>
    public double? WarmupTarget { get; }
    /// <summary>Steps of linear warm-up.</summary>
    public long WarmupSteps { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double peak = WarmupTarget ?? InitialLearningRate;
        if (WarmupTarget is { } target && step < WarmupSteps)
            return InitialLearningRate + (target - InitialLearningRate) * step / WarmupSteps;
        double t = Math.Min(step - (WarmupTarget is null ? 0 : WarmupSteps), DecaySteps) / (double)DecaySteps;
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * t));
        return peak * ((1 - Alpha) * cosine + Alpha);
    }
}
