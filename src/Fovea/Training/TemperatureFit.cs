namespace Fovea.Training;

/// <summary>
/// The outcome of <see cref="Trainer.Calibrate(Data.ImageSet, int[], int)"/>: the temperature now in
/// <see cref="Models.Model.Temperature"/>, how many images it was fitted on, and the mean negative log-likelihood and
/// expected calibration error (15 bins) of those images before and after it.
/// </summary>
/// <param name="Temperature">The fitted T.</param>
/// <param name="Images">How many labelled images T was fitted on.</param>
/// <param name="LossBefore">Mean −log p(label) on those images at T = 1.</param>
/// <param name="LossAfter">Mean −log p(label) on those images at T.</param>
/// <param name="EceBefore">Expected calibration error on those images at T = 1, in [0, 1].</param>
/// <param name="EceAfter">Expected calibration error on those images at T, in [0, 1].</param>
public sealed record TemperatureFit(double Temperature, int Images, double LossBefore, double LossAfter, double EceBefore, double EceAfter);
