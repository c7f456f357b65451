namespace Fovea.Optimizers.Schedules;

/// <summary>
/// scale·(step/totalSteps)^power, held at scale after totalSteps: airbench's Lookahead decay, 0.95⁵·(step/total)³,
/// which averages little early in training and much at the end.
/// </summary>
public sealed class PowerRamp : LearningRateSchedule
{
    /// <summary>A ramp reaching <paramref name="scale"/> at <paramref name="totalSteps"/>, shaped by <paramref name="power"/>.</summary>
    public PowerRamp(double scale, long totalSteps, double power)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"totalSteps must be positive; got {totalSteps}");
        if (!(power >= 0)) throw new ArgumentOutOfRangeException(nameof(power), $"power must be non-negative; got {power}");
        (Scale, TotalSteps, Power) = (scale, totalSteps, power);
    }

    /// <summary>The value reached at <see cref="TotalSteps"/> and held after.</summary>
    public double Scale { get; }
    /// <summary>Length of the ramp in steps.</summary>
    public long TotalSteps { get; }
    /// <summary>The exponent of the ramp: 1 is linear, 3 rises late.</summary>
    public double Power { get; }

    /// <inheritdoc/>
    public override double At(long step) => Scale * Math.Pow(Math.Clamp((double)step / TotalSteps, 0, 1), Power);
}
