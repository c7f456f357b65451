using Fovea.Data;
using Fovea.Evaluation;

namespace Fovea.Visualization;

/// <summary>
/// How far the predictions can be trusted, from one pass over labelled images: the reliability diagram and ECE, the
/// temperature that calibrates the model on these images and the diagram after it, the most-confused class pairs and
/// the pictures of highest loss. <see cref="ReportContent.ErrorAnalysis"/> shows it as a section of the report.
/// </summary>
public sealed record ErrorAnalysis
{
    /// <summary>Pairs listed by default in the report.</summary>
    public const int DefaultMostConfused = 10;

    /// <summary>The reliability diagram of the model's probabilities as they are, with its ECE.</summary>
    public required ReliabilityDiagram Reliability { get; init; }

    /// <summary>The temperature of the diagram after scaling: the model's own (fitted on its validation images), or one
    /// fitted on the same images (<see cref="TemperatureScaling"/>); see <see cref="TemperatureFittedHere"/>.</summary>
    public double? Temperature { get; init; }

    /// <summary>True when <see cref="Temperature"/> was fitted on these same images, false when it is the model's own.</summary>
    public bool TemperatureFittedHere { get; init; } = true;

    /// <summary>The diagram after dividing the logits by <see cref="Temperature"/>.</summary>
    public ReliabilityDiagram? Calibrated { get; init; }

    /// <summary>(true, predicted) pairs of different classes, most frequent first.</summary>
    public IReadOnlyList<ConfusedPair> MostConfused { get; init; } = [];

    /// <summary>The images of highest loss, highest first, with the probabilities the model reports.</summary>
    public IReadOnlyList<TopLoss> TopLosses { get; init; } = [];

    /// <summary>The reliability diagram as a picture (reliability.png).</summary>
    public ReportFigure? ReliabilityFigure { get; init; }

    /// <summary>The pictures of highest loss (top_losses.png).</summary>
    public ReportFigure? TopLossesFigure { get; init; }

    /// <summary>
    /// Everything above, with both pictures, from a model's probabilities over labelled images. Without
    /// <paramref name="modelTemperature"/> the temperature is fitted on these same images, so its ECE is what scaling
    /// could reach here at best: fit it on a validation set to calibrate a model for use. With it (a model calibrated on
    /// its validation images), the diagram after is the one of the model's calibrated probabilities, and the pictures of
    /// highest loss are ranked by them, as the model reports them.
    /// </summary>
    /// <param name="images">The labelled images, for the pictures of highest loss.</param>
    /// <param name="labels">The true class of each image.</param>
    /// <param name="classNames">The name of each class, in class order.</param>
    /// <param name="topLosses">How many pictures of highest loss to show.</param>
    /// <param name="mostConfused">How many (true, predicted) pairs to list.</param>
    /// <param name="modelTemperature">The model's own temperature, fitted on other images; null to fit one on these.</param>
    /// <param name="calibratedProbabilities">With <paramref name="modelTemperature"/>: the model's probabilities with it,
    /// as it computes them from its logits; null to scale <paramref name="probabilities"/> by it.</param>
    /// <param name="probabilities">The model's output without a temperature, <c>[n, classes]</c> row-major, one row per image.</param>
    public static ErrorAnalysis Create(ImageSet images, int[] labels, float[] probabilities, IReadOnlyList<string> classNames,
        int topLosses = TopLossesGrid.DefaultCount, int mostConfused = DefaultMostConfused, double? modelTemperature = null,
        float[]? calibratedProbabilities = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels.Length != images.Count)
            throw new ArgumentException($"labels must have one entry per image ({images.Count}); got {labels.Length}", nameof(labels));
        if (mostConfused < 0) throw new ArgumentOutOfRangeException(nameof(mostConfused), $"mostConfused must not be negative; got {mostConfused}");
        int classes = classNames.Count;

        ReliabilityDiagram before = Calibration.Reliability(probabilities, classes, labels);
        double temperature = modelTemperature ?? TemperatureScaling.FitFromProbabilities(probabilities, classes, labels);
        if (calibratedProbabilities is not null && (modelTemperature is null || calibratedProbabilities.Length != probabilities.Length))
            throw new ArgumentException("calibratedProbabilities go with modelTemperature, one per probability", nameof(calibratedProbabilities));
        float[] scaled = calibratedProbabilities ?? TemperatureScaling.ApplyToProbabilities(probabilities, classes, temperature);
        ReliabilityDiagram after = Calibration.Reliability(scaled, classes, labels);
        IReadOnlyList<TopLoss> top = Evaluation.TopLosses.Find(modelTemperature is null ? probabilities : scaled, classes, labels, topLosses);
        string right = modelTemperature is null ? "after temperature scaling fitted on the same images" : "after the model's temperature, fitted on its validation images";
        return new ErrorAnalysis
        {
            Reliability = before,
            Temperature = temperature,
            TemperatureFittedHere = modelTemperature is null,
            Calibrated = after,
            TopLosses = top,
            MostConfused = Evaluation.MostConfused.Find(probabilities, labels, classNames).Take(mostConfused).ToArray(),
            ReliabilityFigure = new ReportFigure("Reliability diagram", ReliabilityChart.Render(before, after, temperature),
                "Accuracy per bin of the top probability against the diagonal of a calibrated model; the red band is the gap to the bin's mean confidence, the number above it the bin's images. Right: " + right + "."),
            TopLossesFigure = new ReportFigure($"The {top.Count} images of highest loss", TopLossesGrid.Render(images, top, classNames),
                "Predicted class and its probability, the true class and its probability, and the loss −log p(true)."),
        };
    }
}
