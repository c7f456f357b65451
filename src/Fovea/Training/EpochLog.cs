namespace Fovea.Training;

/// <summary>The metrics of one epoch, as Keras prints them at its end. <see cref="Seconds"/> counts the epoch's
/// validation pass too.</summary>
public sealed record EpochLog(int Epoch, double Loss, double Accuracy, double? ValLoss, double? ValAccuracy, double Seconds)
{
    /// <summary>Of <see cref="Seconds"/>, the time the validation pass took (0 without validation data).</summary>
    public double ValidationSeconds { get; init; }
}
