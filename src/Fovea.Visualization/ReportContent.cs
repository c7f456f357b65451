using Fovea.Training;

namespace Fovea.Visualization;

/// <summary>What <see cref="Report.WriteHtml"/> puts on the page; every part but the title is optional.</summary>
public sealed record ReportContent
{
    /// <summary>The page's title and heading.</summary>
    public string Title { get; init; } = "Fovea training report";

    /// <summary>Shown under the title, e.g. when and where the run happened.</summary>
    public string? Subtitle { get; init; }

    /// <summary>Run settings in the order given (epochs, batch size, optimizer, learning rate, seed, …).</summary>
    public IEnumerable<KeyValuePair<string, string>> Settings { get; init; } = [];

    /// <summary>The model summary as the CLI prints it (Keras's <c>model.summary()</c> table); shown preformatted.</summary>
    public string? ModelSummary { get; init; }

    /// <summary>The final evaluation's loss on the test set; not shown when null.</summary>
    public double? TestLoss { get; init; }

    /// <summary>The final evaluation's accuracy on the test set (0 to 1); not shown when null.</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>Class names, index = label; used with <see cref="Confusion"/> for the per-class accuracy table.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Test-set confusion counts, from which per-class accuracy is computed.</summary>
    public ConfusionMatrix? Confusion { get; init; }

    /// <summary>Per-epoch metrics, shown as a table.</summary>
    public History? History { get; init; }

    /// <summary>Calibration, most-confused pairs and the pictures of highest loss, shown as their own section when given.</summary>
    public ErrorAnalysis? ErrorAnalysis { get; init; }

    /// <summary>The pictures, in page order: samples, loss, accuracy, predictions, confusion matrix.</summary>
    public IReadOnlyList<ReportFigure> Figures { get; init; } = [];
}
