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

    /// <summary>The temperature fitted on the same images (<see cref="TemperatureScaling"/>), when one was.</summary>
    public double? Temperature { get; init; }

    /// <summary>The diagram after dividing the logits by <see cref="Temperature"/>.</summary>
    public ReliabilityDiagram? Calibrated { get; init; }

    /// <summary>(true, predicted) pairs of different classes, most frequent first.</summary>
    public IReadOnlyList<ConfusedPair> MostConfused { get; init; } = [];

    /// <summary>The reliability diagram as a picture (reliability.png).</summary>
    public ReportFigure? ReliabilityFigure { get; init; }

    /// <summary>The pictures of highest loss (top_losses.png).</summary>
    public ReportFigure? TopLossesFigure { get; init; }

    /// <summary>
    /// Everything above, with both pictures, from a model's probabilities over labelled images. The temperature is
    /// fitted on these same images, so its ECE is what scaling could reach here at best: fit it on a validation set
    /// to calibrate a model for use.
    /// </summary>
    /// <param name="images">The labelled images, for the pictures of highest loss.</param>
    /// <param name="labels">The true class of each image.</param>
    /// <param name="probabilities">The model's output, <c>[n, classes]</c> row-major, one row per image.</param>
    /// <param name="classNames">The name of each class, in class order.</param>
    /// <param name="topLosses">How many pictures of highest loss to show.</param>
    /// <param name="mostConfused">How many (true, predicted) pairs to list.</param>
    public static ErrorAnalysis Create(ImageSet images, int[] labels, float[] probabilities, IReadOnlyList<string> classNames,
        int topLosses = TopLossesGrid.DefaultCount, int mostConfused = DefaultMostConfused)
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
        double temperature = TemperatureScaling.FitFromProbabilities(probabilities, classes, labels);
        ReliabilityDiagram after = Calibration.Reliability(TemperatureScaling.ApplyToProbabilities(probabilities, classes, temperature), classes, labels);
        IReadOnlyList<TopLoss> top = TopLosses.Find(probabilities, classes, labels, topLosses);
        return new ErrorAnalysis
        {
            Reliability = before,
            Temperature = temperature,
            Calibrated = after,
            MostConfused = Evaluation.MostConfused.Find(probabilities, labels, classNames).Take(mostConfused).ToArray(),
            ReliabilityFigure = new ReportFigure("Reliability diagram", ReliabilityChart.Render(before, after, temperature),
                "Accuracy per bin of the top probability against the diagonal of a calibrated model; the red band is the gap to the bin's mean confidence, the number above it the bin's images. Right: after temperature scaling fitted on the same images."),
            TopLossesFigure = new ReportFigure($"The {top.Count} images of highest loss", TopLossesGrid.Render(images, top, classNames),
                "Predicted class and its probability, the true class and its probability, and the loss −log p(true)."),
        };
    }
}
