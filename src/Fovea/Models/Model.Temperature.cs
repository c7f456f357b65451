using Fovea.Data;
using Fovea.Kernels;

namespace Fovea.Models;

/// <summary>Temperature scaling at prediction time: the logits divided by one scalar before the final softmax.</summary>
public partial class Model
{
    private double? _temperature;

    /// <summary>
    /// The temperature T that <see cref="Predict(ImageSet, int, TestTimeAugmentation)"/> divides the logits by before
    /// the final softmax (Guo et al. 2017's temperature scaling), saved in the model file; null (the default, and a
    /// file that records none) predicts as the network computes. For a model that ends in a <c>Softmax</c> layer or a
    /// Dense with a softmax activation, the values feeding that softmax are divided; for a model without a final
    /// softmax, its outputs are. The predicted class never changes. Training and
    /// <c>Evaluate</c>'s loss do not use it: they report the network's own loss, comparable with the training history.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A temperature that is not positive and finite.</exception>
    public double? Temperature
    {
        get => _temperature;
        set
        {
            if (value is { } t && (!(t > 0) || double.IsPositiveInfinity(t)))
                throw new ArgumentOutOfRangeException(nameof(value), $"the temperature must be positive and finite; got {t}");
            _temperature = value;
        }
    }

    /// <summary>
    /// The scores before the model's final softmax for every sample, shape (N, classes), ignoring
    /// <see cref="Temperature"/>: what a temperature is fitted on. A model without a final softmax returns its output.
    /// With test-time augmentation these are the views' weighted mean, as the probabilities are computed from.
    /// </summary>
    public Tensor PredictLogits(ImageSet x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Predict(DataSource.From(x), batchSize, tta, PredictionKind.Logits);

    /// <inheritdoc cref="PredictLogits(ImageSet, int, TestTimeAugmentation)"/>
    public Tensor PredictLogits(Tensor x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Predict(DataSource.From(x), batchSize, tta, PredictionKind.Logits);

    /// <summary>What <see cref="Predict(DataSource, int, TestTimeAugmentation, PredictionKind)"/> returns.</summary>
    private enum PredictionKind
    {
        /// <summary>The output, with the temperature applied when there is one.</summary>
        Output,

        /// <summary>The scores before the final softmax (the output when there is none).</summary>
        Logits,
    }

    /// <summary>
    /// Copies the batch just run into <paramref name="destination"/>: the output as the network computed it, or its
    /// logits, or softmax(logits / T) when a temperature is set (the output / T without a final softmax). The
    /// division is in float, as the exported ONNX graph's Div computes it.
    /// </summary>
    private void CopyPrediction(Span<float> destination, int batch, PredictionKind kind)
    {
        int n = batch * (int)OutputShape.Size;
        Span<float> logits = Logits(batch);
        if (kind == PredictionKind.Logits)
        {
            (logits.IsEmpty ? OutputBuffer.AsSpan(0, n) : logits).CopyTo(destination);
            return;
        }
        if (Temperature is not { } t)
        {
            OutputBuffer.AsSpan(0, n).CopyTo(destination);
            return;
        }
        float temperature = (float)t;
        if (logits.IsEmpty)
        {
            ReadOnlySpan<float> output = OutputBuffer.AsSpan(0, n);
            for (int i = 0; i < n; i++) destination[i] = output[i] / temperature;
            return;
        }
        Span<float> scaled = destination[..n];
        for (int i = 0; i < n; i++) scaled[i] = logits[i] / temperature;
        // In place: each row's softmax reads its values before it writes them.
        ActivationKernels.Softmax(scaled, scaled, batch, Classes);
    }
}
