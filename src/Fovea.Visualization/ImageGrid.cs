using System.Globalization;
using Fovea.Data;
using Fovea.Imaging;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// The tutorial's two image figures as PNGs: 25 random training images with their class names, and the first
/// 25 test images titled with the predicted class, its probability and the true class.
/// </summary>
public static class ImageGrid
{
    /// <summary>Images in a grid unless told otherwise: the tutorial's 5 × 5.</summary>
    public const int DefaultCount = 25;

    // GitHub's accessible green and red: readable on white as text, and told apart by their wording too
    // ("Pred" and "True" differ when wrong) for readers who do not see the colours.
    internal static readonly SKColor Right = new(0x1A, 0x7F, 0x37);
    internal static readonly SKColor Wrong = new(0xCF, 0x22, 0x2E);

    /// <summary>
    /// <paramref name="count"/> images drawn at random (reproducibly, from <paramref name="seed"/>), without
    /// repeats, each upscaled to at least 128 pixels a side with its class name underneath. Returns PNG bytes.
    /// </summary>
    public static byte[] Samples(ImageSet images, int[] labels, IReadOnlyList<string> classNames, int count = DefaultCount, int seed = 0)
    {
        using SKBitmap bitmap = SamplesLayout(images, labels, classNames, count, seed).Draw();
        return Bitmaps.EncodePng(bitmap);
    }

    /// <inheritdoc cref="Samples(ImageSet, int[], IReadOnlyList{string}, int, int)"/>
    public static byte[] Samples(LabeledImages data, IReadOnlyList<string> classNames, int count = DefaultCount, int seed = 0) =>
        Samples(data.Images, data.Labels, classNames, count, seed);

    /// <summary>Writes <see cref="Samples(ImageSet, int[], IReadOnlyList{string}, int, int)"/> to a PNG file.</summary>
    public static void SaveSamples(string path, ImageSet images, int[] labels, IReadOnlyList<string> classNames, int count = DefaultCount, int seed = 0) =>
        Bitmaps.WriteFile(path, Samples(images, labels, classNames, count, seed));

    /// <summary>
    /// The first <paramref name="count"/> images, each titled <c>Pred: cat 87%</c> over <c>True: dog</c>, in green
    /// with a green frame when the prediction is right and red when it is wrong. Returns PNG bytes.
    /// </summary>
    /// <param name="images">The images, in the order of <paramref name="trueLabels"/>.</param>
    /// <param name="trueLabels">Each image's true class.</param>
    /// <param name="probabilities">Model outputs, <c>[n, classes]</c> row-major, n = number of labels.</param>
    /// <param name="classNames">Class names, index = label.</param>
    /// <param name="count">How many of the first images to draw.</param>
    public static byte[] Predictions(ImageSet images, int[] trueLabels, float[] probabilities, IReadOnlyList<string> classNames, int count = DefaultCount)
    {
        using SKBitmap bitmap = PredictionsLayout(images, trueLabels, probabilities, classNames, count).Draw();
        return Bitmaps.EncodePng(bitmap);
    }

    /// <summary>Writes <see cref="Predictions"/> to a PNG file.</summary>
    public static void SavePredictions(string path, ImageSet images, int[] trueLabels, float[] probabilities, IReadOnlyList<string> classNames, int count = DefaultCount) =>
        Bitmaps.WriteFile(path, Predictions(images, trueLabels, probabilities, classNames, count));

    internal static CaptionedGrid SamplesLayout(ImageSet images, int[] labels, IReadOnlyList<string> classNames, int count, int seed)
    {
        CheckLabels(images, labels, classNames, count);
        int[] picked = PickSamples(images.Count, Math.Min(count, images.Count), seed);
        GridCell[] cells = picked
            .Select(index => new GridCell(index, [], [new CaptionLine(classNames[labels[index]], TextDrawing.Ink)]))
            .ToArray();
        return new CaptionedGrid(images, cells);
    }

    internal static CaptionedGrid PredictionsLayout(ImageSet images, int[] trueLabels, float[] probabilities, IReadOnlyList<string> classNames, int count)
    {
        CheckLabels(images, trueLabels, classNames, count);
        int classes = classNames.Count;
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.LongLength != (long)trueLabels.Length * classes)
            throw new ArgumentException($"probabilities must hold {trueLabels.Length} rows of {classes} classes ({(long)trueLabels.Length * classes} values); got {probabilities.LongLength}", nameof(probabilities));

        int shown = Math.Min(count, images.Count);
        var cells = new GridCell[shown];
        for (int i = 0; i < shown; i++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(i * classes, classes);
            int predicted = ArgMax(row);
            bool right = predicted == trueLabels[i];
            SKColor colour = right ? Right : Wrong;
            string percent = Math.Clamp(row[predicted] * 100.0, 0, 100).ToString("0", CultureInfo.InvariantCulture);
            cells[i] = new GridCell(
                i,
                [
                    new CaptionLine($"Pred: {classNames[predicted]} {percent}%", colour, Bold: true, KeepEnd: percent.Length + 2),
                    new CaptionLine($"True: {classNames[trueLabels[i]]}", colour),
                ],
                [],
                colour);
        }
        return new CaptionedGrid(images, cells);
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices in [0, <paramref name="total"/>), in drawing order: the first
    /// steps of a Fisher–Yates shuffle driven by a seeded <see cref="Random"/>, so one seed gives one picture.
    /// </summary>
    internal static int[] PickSamples(int total, int count, int seed)
    {
        var random = new Random(seed);
        int[] order = Enumerable.Range(0, total).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, total);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..count];
    }

    /// <summary>Index of the largest value; the first one on ties, as NumPy's argmax.</summary>
    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
            if (row[c] > row[best]) best = c;
        return best;
    }

    private static void CheckLabels(ImageSet images, int[] labels, IReadOnlyList<string> classNames, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be positive; got {count}");
        if (images.Count == 0) throw new ArgumentException("images must not be empty; got 0 images", nameof(images));
        if (labels.Length != images.Count)
            throw new ArgumentException($"labels must have one entry per image ({images.Count}); got {labels.Length}", nameof(labels));
        if (classNames.Count == 0) throw new ArgumentException("classNames must not be empty", nameof(classNames));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"labels[{i}] must be a class index in [0, {classNames.Count}); got {labels[i]}", nameof(labels));
    }
}
