namespace Fovea.Optimizers.Schedules;

/// <summary>
/// PyTorch's <c>OneCycleLR</c> (cosine annealing): from max/<c>divFactor</c> up to <c>maxLearningRate</c> over the
/// first <c>pctStart</c> of <c>totalSteps</c>, then down to max/(<c>divFactor</c>·<c>finalDivFactor</c>).
/// </summary>
public sealed class OneCycle : LearningRateSchedule
{
    /// <summary>A one-cycle schedule peaking at <paramref name="maxLearningRate"/> after <paramref name="pctStart"/> of
    /// <paramref name="totalSteps"/>, with PyTorch's defaults.</summary>
    public OneCycle(double maxLearningRate, long totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    {
        if (!(maxLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(maxLearningRate), $"maxLearningRate must be positive; got {maxLearningRate}");
        if (totalSteps < 2) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"totalSteps must be at least 2; got {totalSteps}");
        if (!(pctStart > 0 && pctStart < 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), $"pctStart must be in (0, 1); got {pctStart}");
        (MaxLearningRate, TotalSteps, PctStart, DivFactor, FinalDivFactor) = (maxLearningRate, totalSteps, pctStart, divFactor, finalDivFactor);
    }

    /// <summary>The peak value.</summary>
    public double MaxLearningRate { get; }
    /// <summary>Length of the cycle in steps.</summary>
    public long TotalSteps { get; }
    /// <summary>Fraction of the cycle spent rising.</summary>
    public double PctStart { get; }
    /// <summary>The starting value is the peak divided by this.</summary>
    public double DivFactor { get; }
    /// <summary>The final value is the starting value divided by this.</summary>
    public double FinalDivFactor { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double initial = MaxLearningRate / DivFactor, final = initial / FinalDivFactor;
        double peakStep = PctStart * TotalSteps - 1;
        static double Cos(double from, double to, double t) => to + (from - to) / 2 * (1 + Math.Cos(Math.PI * Math.Clamp(t, 0, 1)));
        return step <= peakStep
            ? Cos(initial, MaxLearningRate, step / peakStep)
            : Cos(MaxLearningRate, final, (step - peakStep) / (TotalSteps - 1 - peakStep));
    }
}
