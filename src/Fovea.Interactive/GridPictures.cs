using System.Globalization;
using Fovea.Data;
using Fovea.Visualization;
using SkiaSharp;

namespace Fovea.Interactive;

/// <summary>
/// The first images of a set as a grid: the picture an <see cref="ImageSet"/> or <see cref="LabeledImages"/> shows
/// for itself. The first ones rather than random ones, so that <c>xTest</c> and <c>model.Predict(xTest)</c> line up.
/// </summary>
internal static class GridPictures
{
    public const int Count = ImageGrid.DefaultCount;

    /// <summary>Each image captioned with its index.</summary>
    public static Picture Indexed(ImageSet images) =>
        Draw(images, i => $"#{i.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Each image captioned with its label, or its class name when the names are known.</summary>
    public static Picture Labeled(LabeledImages images, IReadOnlyList<string>? classNames = null) =>
        Draw(images.Images, i =>
        {
            int label = images.Labels[i];
            return classNames is not null && (uint)label < (uint)classNames.Count ? classNames[label] : $"label {label.ToString(CultureInfo.InvariantCulture)}";
        });

    private static Picture Draw(ImageSet images, Func<int, string> caption)
    {
        int shown = Math.Min(Count, images.Count);
        GridCell[] cells = Enumerable.Range(0, shown)
            .Select(i => new GridCell(i, [], [new CaptionLine(caption(i), TextDrawing.Ink)]))
            .ToArray();
        using SKBitmap bitmap = new CaptionedGrid(images, cells).Draw();
        return new Picture(Picture.Encode(bitmap));
    }
}
