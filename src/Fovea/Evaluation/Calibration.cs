namespace Fovea.Evaluation;

/// <summary>
/// How far a classifier's confidence is from its accuracy (Guo et al. 2017): the reliability diagram and the expected
/// calibration error over equal-width bins of the top probability. A model that says 80% and is right 80% of the time
/// is calibrated; modern networks tend to say 95% there.
/// </summary>
public static class Calibration
{
    /// <summary>The paper's number of bins (M = 15), and the one <c>fovea evaluate</c> reports.</summary>
    public const int DefaultBins = 15;

    /// <inheritdoc cref="ExpectedCalibrationError(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>
    public static double ExpectedCalibrationError(Tensor probabilities, int[] labels, int bins = DefaultBins) =>
        Reliability(probabilities, labels, bins).ExpectedCalibrationError;

    /// <summary>
    /// ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b| over <paramref name="bins"/> equal-width bins of the top
    /// probability, in [0, 1] (0: calibrated).
    /// </summary>
    /// <param name="probabilities">Class probabilities, <c>[N, classes]</c> row-major (a softmax's output).</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="bins">Number of equal-width confidence bins.</param>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels, int bins = DefaultBins) =>
        Reliability(probabilities, classes, labels, bins).ExpectedCalibrationError;

    /// <inheritdoc cref="Reliability(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>
    public static ReliabilityDiagram Reliability(Tensor probabilities, int[] labels, int bins = DefaultBins)
    {
        int classes = ProbabilityRows.Classes(probabilities, labels, nameof(probabilities));
        return Reliability(probabilities.Data, classes, labels, bins);
    }

    /// <summary>
    /// Per bin of the top probability: count, accuracy and mean confidence, and the ECE and MCE over them.
    /// Bin b of B holds the confidences in (b/B, (b+1)/B], as in the paper; a confidence of 0 or below (never a
    /// softmax's top value) falls in the first bin. The predicted class is the first largest probability.
    /// Sums run in double precision in sample order, so the result does not depend on anything but the inputs.
    /// </summary>
    /// <param name="probabilities">Class probabilities, <c>[N, classes]</c> row-major.</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="bins">Number of equal-width confidence bins.</param>
    public static ReliabilityDiagram Reliability(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels, int bins = DefaultBins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), $"bins must be positive; got {bins}");
        ProbabilityRows.Check(probabilities, classes, labels, nameof(probabilities));
        var counts = new int[bins];
        var correct = new int[bins];
        var confidenceSums = new double[bins];
        long allCorrect = 0;
        double allConfidence = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            int predicted = ProbabilityRows.ArgMax(row);
            double confidence = row[predicted];
            int bin = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
            counts[bin]++;
            confidenceSums[bin] += confidence;
            allConfidence += confidence;
            if (predicted == labels[i])
            {
                correct[bin]++;
                allCorrect++;
            }
        }

        var result = new ReliabilityBin[bins];
        double ece = 0, mce = 0;
        for (int b = 0; b < bins; b++)
        {
            int n = counts[b];
            double accuracy = n == 0 ? double.NaN : (double)correct[b] / n;
            double confidence = n == 0 ? double.NaN : confidenceSums[b] / n;
            result[b] = new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, n, accuracy, confidence);
            ece += (double)n / labels.Length * result[b].Gap;
            mce = Math.Max(mce, result[b].Gap);
        }
        return new ReliabilityDiagram
        {
            Bins = result,
            Count = labels.Length,
            Accuracy = (double)allCorrect / labels.Length,
            Confidence = allConfidence / labels.Length,
            ExpectedCalibrationError = ece,
            MaximumCalibrationError = mce,
        };
    }
}
