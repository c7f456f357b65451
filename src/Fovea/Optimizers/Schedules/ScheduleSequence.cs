namespace Fovea.Optimizers.Schedules;

/// <summary>
/// Schedules one after the other, each for a number of steps and each counting its steps from 0: the two one-cycles
/// of a fine-tuning run (the head alone, then everything). The last one runs on past its steps.
/// </summary>
public sealed class ScheduleSequence : LearningRateSchedule
{
    private readonly (LearningRateSchedule Schedule, long Steps)[] _parts;

    /// <summary>The schedules in order, each with the number of steps it runs for.</summary>
    /// <param name="parts">Each schedule and its steps; the last runs on past its count.</param>
    public ScheduleSequence(params (LearningRateSchedule Schedule, long Steps)[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0) throw new ArgumentException("a sequence needs at least one schedule", nameof(parts));
        foreach (var (schedule, steps) in parts)
        {
            ArgumentNullException.ThrowIfNull(schedule, nameof(parts));
            if (steps < 0) throw new ArgumentOutOfRangeException(nameof(parts), $"each schedule's steps must be non-negative; got {steps}");
        }
        _parts = parts;
    }

    /// <inheritdoc/>
    public override double At(long step)
    {
        for (int i = 0; i < _parts.Length - 1; i++)
        {
            if (step < _parts[i].Steps) return _parts[i].Schedule.At(step);
            step -= _parts[i].Steps;
        }
        return _parts[^1].Schedule.At(step);
    }
}
