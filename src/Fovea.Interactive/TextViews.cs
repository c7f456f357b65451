using System.Globalization;
using System.Text;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Explain;
using Fovea.Training;
using Fovea.Visualization;

namespace Fovea.Interactive;

/// <summary>The plain-text side of each display: what a terminal front end, a diff of the notebook or a test reads.</summary>
internal static class TextViews
{
    private const int PreviewRows = 5, PreviewColumns = 8;

    /// <summary>
    /// <c>Tensor (10000, 10)</c> and the first rows of the tensor seen as a matrix (first axis by the rest), NumPy style,
    /// with "..." where rows or columns are left out.
    /// </summary>
    public static string Tensor(Tensor tensor)
    {
        var text = new StringBuilder($"Tensor {tensor.Shape}");
        if (tensor.Length == 0) return text.ToString();
        text.Append('\n');
        if (tensor.Shape.Rank <= 1)
        {
            AppendRow(text, tensor.Data, 0, tensor.Length);
            return text.ToString();
        }
        int rows = tensor.Shape[0], columns = tensor.Length / rows;
        text.Append('[');
        for (int r = 0; r < Math.Min(rows, PreviewRows); r++)
        {
            if (r > 0) text.Append(",\n ");
            AppendRow(text, tensor.Data, r * columns, columns);
        }
        if (rows > PreviewRows) text.Append(CultureInfo.InvariantCulture, $",\n ... ({rows - PreviewRows:N0} more rows)");
        return text.Append(']').ToString();
    }

    private static void AppendRow(StringBuilder text, float[] data, int start, int length)
    {
        text.Append('[');
        for (int i = 0; i < Math.Min(length, PreviewColumns); i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(data[start + i].ToString("0.####", CultureInfo.InvariantCulture));
        }
        if (length > PreviewColumns) text.Append(", ...");
        text.Append(']');
    }

    /// <summary>One line per epoch, the metrics under their Keras names.</summary>
    public static string History(History history)
    {
        var text = new StringBuilder($"History: {history.Epochs.Count} epoch{(history.Epochs.Count == 1 ? "" : "s")}\n");
        text.Append("epoch  loss    accuracy  val_loss  val_accuracy  seconds\n");
        foreach (EpochLog e in history.Epochs)
            text.Append(CultureInfo.InvariantCulture,
                $"{e.Epoch,5}  {e.Loss,6:F4}  {e.Accuracy,8:F4}  {Optional(e.ValLoss),8}  {Optional(e.ValAccuracy),12}  {e.Seconds,7:F1}\n");
        return text.ToString();

        static string Optional(double? value) => value is double v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
    }

    public static string Images(ImageSet images) =>
        $"ImageSet {images.Shape}: {images.Count:N0} images of {images.Height}x{images.Width} pixels, {images.Channels} channel{(images.Channels == 1 ? "" : "s")}";

    public static string LabeledImages(LabeledImages images) =>
        $"LabeledImages {images.Images.Shape}: {images.Count:N0} images, labels 0-{(images.Count == 0 ? 0 : images.Labels.Max())}";

    public static string Dataset(LabeledDataset dataset) =>
        $"train {dataset.Train.Images.Shape}, test {dataset.Test.Images.Shape}, {dataset.ClassNames.Count} classes: {string.Join(", ", dataset.ClassNames)}";

    /// <summary>The counts with true classes down and predicted classes across, and the accuracy.</summary>
    public static string Confusion(ConfusionMatrix matrix)
    {
        int n = matrix.ClassCount;
        int width = Math.Max(4, matrix.ToArray().Cast<int>().Max().ToString(CultureInfo.InvariantCulture).Length + 1);
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"ConfusionMatrix: {n} classes, {matrix.Total:N0} images, accuracy {matrix.Accuracy:F4} (rows: true class, columns: predicted)\n"));
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++) text.Append(matrix[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The sweep's extent and its suggestions.</summary>
    public static string Sweep(LearningRateSweep sweep) => string.Create(CultureInfo.InvariantCulture,
        $"LearningRateSweep: {sweep.Losses.Count} steps, {(sweep.LearningRates.Count == 0 ? "-" : LearningRateChart.Rate(sweep.LearningRates[0]))} to {(sweep.LearningRates.Count == 0 ? "-" : LearningRateChart.Rate(sweep.LearningRates[^1]))}"
        + $"{(sweep.Diverged ? " (stopped: the loss diverged)" : "")}, best smoothed loss {sweep.BestLoss:F4}; suggestion (valley) {LearningRateChart.Rate(sweep.Suggestion)}, steepest {LearningRateChart.Rate(sweep.Steepest)}");

    /// <summary>The calibration error, accuracy and confidence.</summary>
    public static string Reliability(ReliabilityDiagram diagram) => string.Create(CultureInfo.InvariantCulture,
        $"ReliabilityDiagram: {diagram.Count:N0} images in {diagram.Bins.Count} bins, ECE {diagram.ExpectedCalibrationError * 100:0.00}%, accuracy {diagram.Accuracy:F4}, mean confidence {diagram.Confidence:F4}");

    /// <summary>The layer and the class each map explains.</summary>
    public static string GradCam(GradCamResult cam) =>
        $"GradCamResult: {cam.Classes.Length} maps of {cam.Maps.Shape[1]}x{cam.Maps.Shape[2]} at '{cam.Layer}', upsampled to {cam.Upsampled.Shape[1]}x{cam.Upsampled.Shape[2]}; classes {string.Join(", ", cam.Classes.Take(16))}{(cam.Classes.Length > 16 ? ", ..." : "")}";
}
