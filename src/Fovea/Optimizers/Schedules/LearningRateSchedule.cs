namespace Fovea.Optimizers.Schedules;

/// <summary>
/// A value that depends on the optimiser's step count, Keras's <c>LearningRateSchedule</c>: read at the 0-based index
/// of the step about to be taken. Pure, so a resumed run (which restores the step count) follows the same curve.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The value at the 0-based <paramref name="step"/>.</summary>
    public abstract double At(long step);
}

/// <summary>The same value at every step.</summary>
public sealed class Constant(double value) : LearningRateSchedule
{
    /// <summary>The value at every step.</summary>
    public double Value { get; } = value;
    /// <inheritdoc/>
    public override double At(long step) => Value;
}
