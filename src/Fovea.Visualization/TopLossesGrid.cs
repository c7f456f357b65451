using System.Globalization;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Imaging;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// fast.ai's <c>plot_top_losses</c>: the pictures the model got most wrong, highest loss first, each titled with the
/// predicted class and its probability, the true class and its probability, and the loss.
/// </summary>
public static class TopLossesGrid
{
    /// <summary>Pictures shown by default: a 4x4 grid.</summary>
    public const int DefaultCount = 16;

    /// <summary>
    /// The pictures of <paramref name="losses"/> (from <see cref="TopLosses.Find(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>
    /// over the same images), in their order, as PNG bytes. Each is titled <c>Pred: cat 87%</c>, <c>True: dog 2%</c>,
    /// <c>Loss: 3.91</c>, in red with a red frame when wrong and green when right but unsure.
    /// </summary>
    public static byte[] Render(ImageSet images, IReadOnlyList<TopLoss> losses, IReadOnlyList<string> classNames)
    {
        using SKBitmap bitmap = Layout(images, losses, classNames).Draw();
        return Bitmaps.EncodePng(bitmap);
    }

    /// <summary>
    /// The <paramref name="count"/> images of highest loss under <paramref name="probabilities"/> (<c>[n, classes]</c>
    /// row-major, one row per image), as PNG bytes.
    /// </summary>
    public static byte[] Render(ImageSet images, int[] labels, float[] probabilities, IReadOnlyList<string> classNames, int count = DefaultCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels?.Length != images.Count)
            throw new ArgumentException($"labels must have one entry per image ({images.Count}); got {labels?.Length ?? 0}", nameof(labels));
        return Render(images, TopLosses.Find(probabilities, classNames.Count, labels, count), classNames);
    }

    /// <summary>Writes <see cref="Render(ImageSet, IReadOnlyList{TopLoss}, IReadOnlyList{string})"/> to a PNG file.</summary>
    public static void Save(string path, ImageSet images, IReadOnlyList<TopLoss> losses, IReadOnlyList<string> classNames) =>
        Bitmaps.WriteFile(path, Render(images, losses, classNames));

    internal static CaptionedGrid Layout(ImageSet images, IReadOnlyList<TopLoss> losses, IReadOnlyList<string> classNames) =>
        new(images, Cells(images, losses, classNames));

    /// <summary>One cell per loss, in order: the image it names and its three caption lines.</summary>
    internal static GridCell[] Cells(ImageSet images, IReadOnlyList<TopLoss> losses, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentNullException.ThrowIfNull(classNames);
        if (losses.Count == 0) throw new ArgumentException("losses must name at least one image; got 0", nameof(losses));
        var cells = new GridCell[losses.Count];
        for (int i = 0; i < losses.Count; i++)
        {
            TopLoss loss = losses[i];
            if ((uint)loss.Index >= (uint)images.Count)
                throw new ArgumentException($"losses[{i}] names image {loss.Index}; there are {images.Count}", nameof(losses));
            if ((uint)loss.PredictedClass >= (uint)classNames.Count || (uint)loss.TrueClass >= (uint)classNames.Count)
                throw new ArgumentException($"losses[{i}] names classes {loss.PredictedClass} and {loss.TrueClass}; there are {classNames.Count}", nameof(losses));
            SKColor colour = loss.PredictedClass == loss.TrueClass ? ImageGrid.Right : ImageGrid.Wrong;
            string predicted = Percent(loss.Probability), actual = Percent(loss.TrueProbability);
            cells[i] = new GridCell(
                loss.Index,
                [
                    new CaptionLine($"Pred: {classNames[loss.PredictedClass]} {predicted}", colour, Bold: true, KeepEnd: predicted.Length + 1),
                    new CaptionLine($"True: {classNames[loss.TrueClass]} {actual}", colour, KeepEnd: actual.Length + 1),
                    new CaptionLine(string.Create(CultureInfo.InvariantCulture, $"Loss: {loss.Loss:0.00}"), TextDrawing.Ink),
                ],
                [],
                colour);
        }
        return cells;
    }

    /// <summary>"87%", or "&lt;1%" for a probability that rounds to nothing: the true class of a top loss usually does.</summary>
    private static string Percent(float probability)
    {
        double percent = Math.Clamp(probability * 100.0, 0, 100);
        return percent < 0.5 ? "<1%" : percent.ToString("0", CultureInfo.InvariantCulture) + "%";
    }
}
