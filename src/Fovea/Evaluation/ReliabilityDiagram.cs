namespace Fovea.Evaluation;

/// <summary>
/// Accuracy against confidence in equal-width bins of the top probability (Guo et al. 2017, "On Calibration of
/// Modern Neural Networks", §2), with the summary numbers drawn from it.
/// </summary>
public sealed record ReliabilityDiagram
{
    /// <summary>The bins, from the lowest confidence to the highest.</summary>
    public required IReadOnlyList<ReliabilityBin> Bins { get; init; }

    /// <summary>Number of samples over all bins.</summary>
    public required int Count { get; init; }

    /// <summary>Share of samples whose predicted class (the first largest probability) is the label.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Mean top probability over all samples.</summary>
    public required double Confidence { get; init; }

    /// <summary>ECE: Σ (bin count / N) · |accuracy − confidence| over the bins, in [0, 1].</summary>
    public required double ExpectedCalibrationError { get; init; }

    /// <summary>MCE: the largest |accuracy − confidence| of a non-empty bin, in [0, 1].</summary>
    public required double MaximumCalibrationError { get; init; }
}
