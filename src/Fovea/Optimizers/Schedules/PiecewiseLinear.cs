namespace Fovea.Optimizers.Schedules;

/// <summary>
/// Straight lines between (step, value) points, flat before the first and after the last: linear warm-up and decay
/// (airbench's 0.2 → 1 → 0.07 × lr), or a triangular one-cycle.
/// </summary>
public sealed class PiecewiseLinear : LearningRateSchedule
{
    private readonly (long Step, double Value)[] _points;

    /// <summary>A schedule through <paramref name="points"/>, whose steps must increase.</summary>
    public PiecewiseLinear(params (long Step, double Value)[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Length == 0) throw new ArgumentException("points must not be empty", nameof(points));
        for (int i = 0; i < points.Length; i++)
        {
            if (!double.IsFinite(points[i].Value)) throw new ArgumentOutOfRangeException(nameof(points), $"values must be finite; got {points[i].Value}");
            if (i > 0 && points[i].Step <= points[i - 1].Step)
                throw new ArgumentException($"steps must increase; got {points[i - 1].Step} then {points[i].Step}", nameof(points));
        }
        _points = points;
    }

    /// <summary>The (step, value) points, in increasing step order.</summary>
    public IReadOnlyList<(long Step, double Value)> Points => _points;

    /// <inheritdoc/>
    public override double At(long step)
    {
        if (step <= _points[0].Step) return _points[0].Value;
        for (int i = 1; i < _points.Length; i++)
        {
            var (s1, v1) = _points[i];
            if (step > s1) continue;
            var (s0, v0) = _points[i - 1];
            double t = (double)(step - s0) / (s1 - s0);
            return v0 * (1 - t) + v1 * t;
        }
        return _points[^1].Value;
    }
}
