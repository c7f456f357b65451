namespace Fovea.Optimizers.Schedules;

/// <summary>
/// scale·(step/totalSteps)^power, held at scale after totalSteps: airbench's Lookahead decay, 0.95⁵·(step/total)³,
/// which averages little early in training and much at the end.
/// </summary>
public sealed class PowerRamp : LearningRateSchedule
{
    public PowerRamp(double scale, long totalSteps, double power)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"totalSteps must be positive; got {totalSteps}");
        if (!(power >= 0)) throw new ArgumentOutOfRangeException(nameof(power), $"power must be non-negative; got {power}");
        (Scale, TotalSteps, Power) = (scale, totalSteps, power);
    }

    public double Scale { get; }
    public long TotalSteps { get; }
    public double Power { get; }

    public override double At(long step) => Scale * Math.Pow(Math.Clamp((double)step / TotalSteps, 0, 1), Power);
}
