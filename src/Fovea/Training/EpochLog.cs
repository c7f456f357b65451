namespace Fovea.Training;

/// <summary>The metrics of one epoch, as Keras prints them at its end.</summary>
public sealed record EpochLog(int Epoch, double Loss, double Accuracy, double? ValLoss, double? ValAccuracy, double Seconds);
