namespace Fovea.Evaluation;

/// <summary>
/// One confidence bin of a reliability diagram: the samples whose top probability lies in (<see cref="Lower"/>,
/// <see cref="Upper"/>], how many there are, how many of them the model got right, and how sure it was on average.
/// </summary>
/// <param name="Accuracy">Share of the bin's samples whose predicted class is the label; NaN for an empty bin.</param>
/// <param name="Confidence">Mean top probability of the bin's samples; NaN for an empty bin.</param>
/// <param name="Lower">The bin's lower confidence bound, excluded.</param>
/// <param name="Upper">The bin's upper confidence bound, included.</param>
/// <param name="Count">Number of samples in the bin.</param>
public readonly record struct ReliabilityBin(double Lower, double Upper, int Count, double Accuracy, double Confidence)
{
    /// <summary>|accuracy − confidence|: the bin's miscalibration; 0 for an empty bin.</summary>
    public double Gap => Count == 0 ? 0 : Math.Abs(Accuracy - Confidence);
}
