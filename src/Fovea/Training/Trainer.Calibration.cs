using Fovea.Data;
using Fovea.Evaluation;

namespace Fovea.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Temperature scaling after training (Guo et al. 2017): fits one T on held-out labelled images by minimising the
    /// negative log-likelihood of softmax(logits / T) (<see cref="TemperatureScaling.Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>)
    /// and sets it as the model's <see cref="Models.Model.Temperature"/>, which <c>Predict</c> and a saved model use from
    /// then on. The logits are those of the network without any earlier temperature and without test-time augmentation,
    /// as <c>Predict</c> computes them by default. Never fit it on the test set: its calibration error would no longer
    /// be measured on unseen images. Accuracy does not change.
    /// </summary>
    /// <param name="x">Labelled images the model was not trained on (a validation split).</param>
    /// <param name="y">Their labels.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <exception cref="ArgumentException">No images, or images or labels that do not fit the model.</exception>
    public TemperatureFit Calibrate(ImageSet x, int[] y, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(x);
        var source = DataSource.From(x);
        Model.CheckData(source, y, nameof(x));
        if (x.Count == 0) throw new ArgumentException("calibration needs labelled images; x has none", nameof(x));
        float[] logits = Model.PredictLogits(x, batchSize).Data;
        int classes = Model.OutputShape[^1];
        double temperature = TemperatureScaling.Fit(logits, classes, y);
        var fit = new TemperatureFit(temperature, x.Count,
            TemperatureScaling.NegativeLogLikelihood(logits, classes, y, 1), TemperatureScaling.NegativeLogLikelihood(logits, classes, y, temperature),
            Calibration.ExpectedCalibrationError(TemperatureScaling.Apply(logits, classes, 1), classes, y),
            Calibration.ExpectedCalibrationError(TemperatureScaling.Apply(logits, classes, temperature), classes, y));
        Model.Temperature = temperature;
        return fit;
    }
}
