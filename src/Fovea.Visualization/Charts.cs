using Fovea.Imaging;
using Fovea.Training;

namespace Fovea.Visualization;

/// <summary>
/// The run's charts as PNGs: loss and accuracy by epoch (training and validation), and the confusion matrix.
/// Each comes as bytes (for the HTML report) and as a file-writing overload.
/// </summary>
public static class Charts
{
    /// <summary>Training and validation loss by epoch (Keras's <c>loss</c> and <c>val_loss</c>). PNG bytes.</summary>
    public static byte[] Loss(History history) =>
        HistoryChart.Render(history, "Loss", "Loss", e => e.Loss, e => e.ValLoss);

    /// <summary>Writes <see cref="Loss(History)"/> to the PNG file <paramref name="path"/>.</summary>
    public static void Loss(History history, string path) => Bitmaps.WriteFile(path, Loss(history));

    /// <summary>Training and validation accuracy by epoch (<c>accuracy</c> and <c>val_accuracy</c>). PNG bytes.</summary>
    public static byte[] Accuracy(History history) =>
        HistoryChart.Render(history, "Accuracy", "Accuracy", e => e.Accuracy, e => e.ValAccuracy);

    /// <summary>Writes <see cref="Accuracy(History)"/> to the PNG file <paramref name="path"/>.</summary>
    public static void Accuracy(History history, string path) => Bitmaps.WriteFile(path, Accuracy(history));

    /// <summary>The confusion matrix as a heatmap with counts in the cells and class names on both axes. PNG bytes.</summary>
    public static byte[] ConfusionMatrix(ConfusionMatrix matrix, IReadOnlyList<string> classNames) =>
        ConfusionMatrixChart.Render(matrix, classNames);

    /// <summary>Writes <see cref="ConfusionMatrix(Visualization.ConfusionMatrix, IReadOnlyList{string})"/> to the PNG file <paramref name="path"/>.</summary>
    public static void ConfusionMatrix(ConfusionMatrix matrix, IReadOnlyList<string> classNames, string path) =>
        Bitmaps.WriteFile(path, ConfusionMatrix(matrix, classNames));

    /// <summary>The heatmap of counts given as <c>[true, predicted]</c>.</summary>
    public static void ConfusionMatrix(int[,] counts, IReadOnlyList<string> classNames, string path) =>
        ConfusionMatrix(new Visualization.ConfusionMatrix(counts), classNames, path);

    /// <summary>The heatmap of the (true, predicted) label pairs.</summary>
    public static void ConfusionMatrix(int[] trueLabels, int[] predicted, IReadOnlyList<string> classNames, string path)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ConfusionMatrix(Visualization.ConfusionMatrix.FromLabels(trueLabels, predicted, classNames.Count), classNames, path);
    }
}
