using System.Globalization;
using Fovea.Imaging;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// A confusion-matrix heatmap drawn directly with Skia: true classes down the left, predicted classes along the
/// bottom, the count written in every cell.
/// </summary>
/// <remarks>
/// Drawn by hand rather than with ScottPlot's heatmap because every cell needs its own contrasting text colour and
/// the class names need rotating, which here is a few lines against fighting the plot's axis layout.
/// Cells are coloured by the share of their row (of the true class) rather than by raw count: with raw counts the
/// diagonal (hundreds) washes out every off-diagonal confusion (tens) to white.
/// </remarks>
internal static class ConfusionMatrixChart
{
    private const int Margin = 24;
    private const int Gap = 10;           // between labels and the grid
    private const int ColourBarWidth = 16;
    private const float TitleSize = 20;
    private const float AxisTitleSize = 16;
    private const float TickSize = 14;    // the colour bar's 0%, 50%, 100%

    // Up to 15 classes get 60-pixel cells and 14-pixel text; more share a grid of about 900 pixels, down to 14-pixel
    // cells (100 classes: a 1,400-pixel grid), their names shrinking with the rows to 9 pixels.
    private const int MaxCellSize = 60;
    private const int MinCellSize = 14;
    private const int GridTarget = 900;
    private const float MaxLabelSize = 14;
    private const float MinLabelSize = 9;
    private const float MaxCountSize = 14;

    /// <summary>Counts that would need a smaller font are not written: the colours carry the matrix alone then.</summary>
    private const float MinCountSize = 8;

    /// <summary>Class names wider than this are cut with an ellipsis: one long name must not push the grid off the page.</summary>
    private const float MaxLabelWidth = 200;

    // Matplotlib's "Blues" colour map, the one scikit-learn's ConfusionMatrixDisplay uses.
    private static readonly (float At, SKColor Colour)[] Blues =
    [
        (0.00f, new SKColor(0xF7, 0xFB, 0xFF)),
        (0.25f, new SKColor(0xC6, 0xDB, 0xEF)),
        (0.50f, new SKColor(0x6B, 0xAE, 0xD6)),
        (0.75f, new SKColor(0x21, 0x71, 0xB5)),
        (1.00f, new SKColor(0x08, 0x30, 0x6B)),
    ];

    /// <summary>How the column names under the grid run: across, at 45° (matplotlib's rotation=45), or upwards when even that would overlap.</summary>
    private enum ColumnLabels { Across, Slanted, Upright }

    /// <summary>The cell side for <paramref name="classes"/> classes.</summary>
    internal static int CellSize(int classes) => Math.Clamp(GridTarget / classes, MinCellSize, MaxCellSize);

    public static byte[] Render(ConfusionMatrix matrix, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = matrix.ClassCount;
        if (classNames.Count != n)
            throw new ArgumentException($"classNames must name the matrix's {n} classes; got {classNames.Count}", nameof(classNames));

        int cellSize = CellSize(n);
        using SKFont title = TextDrawing.Font(TitleSize, bold: true);
        using SKFont subtitle = TextDrawing.Font(TickSize);
        using SKFont axisTitle = TextDrawing.Font(AxisTitleSize, bold: true);
        using SKFont ticks = TextDrawing.Font(TickSize);
        using SKFont label = TextDrawing.Font(Math.Clamp(cellSize * 0.75f, MinLabelSize, MaxLabelSize));
        string[] names = classNames.Select(name => TextDrawing.Fit(name, label, MaxLabelWidth)).ToArray();

        float countSize = CountSize(matrix, cellSize);
        bool writeCounts = countSize >= MinCountSize;
        using SKFont count = TextDrawing.Font(countSize);
        using SKFont diagonalCount = TextDrawing.Font(countSize, bold: true);

        float labelWidth = names.Max(name => label.MeasureText(name));
        float labelAscent = TextDrawing.Ascent(label), labelLine = TextDrawing.LineHeight(label);
        float diagonal = (float)Math.Sqrt(0.5);
        var (columns, columnLabelsHeight) = ColumnLayout(cellSize, labelWidth, labelAscent, labelLine);

        int grid = n * cellSize;
        float gridLeft = Margin + TextDrawing.LineHeight(axisTitle) + Gap + labelWidth + Gap;
        if (columns == ColumnLabels.Slanted) // the first slanted name reaches left of its column; keep it on the canvas
            gridLeft = Math.Max(gridLeft, Margin + labelWidth * diagonal - cellSize / 2f);
        float gridTop = Margin + TextDrawing.LineHeight(title) + TextDrawing.LineHeight(subtitle) + 2 * Gap;
        float width = gridLeft + grid + 2 * Gap + ColourBarWidth + 6 + ticks.MeasureText("100%") + Margin;
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"accuracy {matrix.Accuracy * 100:0.0}% of {matrix.Total:N0} images · colour: share of the true class");
        // A matrix of few classes is narrower than its subtitle: widen the canvas and centre the drawing in it.
        float widen = Math.Max(0, subtitle.MeasureText(summary) + 2 * Margin - width);
        gridLeft += widen / 2;
        width += widen;
        float colourBarLeft = gridLeft + grid + 2 * Gap;
        float height = gridTop + grid + Gap + columnLabelsHeight + Gap + TextDrawing.LineHeight(axisTitle) + Margin;

        var info = new SKImageInfo((int)Math.Ceiling(width), (int)Math.Ceiling(height), SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using SKPaint ink = TextDrawing.Fill(TextDrawing.Ink);
            using SKPaint muted = TextDrawing.Fill(TextDrawing.MutedInk);
            using SKPaint white = TextDrawing.Fill(SKColors.White);
            float gridCentreX = gridLeft + grid / 2f;

            float y = Margin + TextDrawing.Ascent(title);
            canvas.DrawText("Confusion matrix", gridCentreX, y, SKTextAlign.Center, title, ink);
            y += TextDrawing.LineHeight(title) - TextDrawing.Ascent(title) + Gap / 2f + TextDrawing.Ascent(subtitle);
            canvas.DrawText(summary, width / 2f, y, SKTextAlign.Center, subtitle, muted);

            DrawCells(canvas, matrix, names, gridLeft, gridTop, cellSize, writeCounts, count, diagonalCount, label, ink, white);

            float labelsTop = gridTop + grid + Gap;
            DrawColumnLabels(canvas, names, columns, gridLeft, labelsTop, cellSize, label, ink);

            DrawAxisTitles(canvas, gridCentreX, labelsTop + columnLabelsHeight + Gap, gridLeft - 2 * Gap - labelWidth,
                gridTop + grid / 2f, axisTitle, ink);

            DrawColourBar(canvas, colourBarLeft, gridTop, grid, ticks, ink);
        }
        return Bitmaps.EncodePng(bitmap);
    }

    // The largest font, up to 14 pixels, in which the widest count (bold, on the diagonal) fits inside a cell.
    private static float CountSize(ConfusionMatrix matrix, int cellSize)
    {
        int n = matrix.ClassCount;
        float countSize = Math.Min(MaxCountSize, cellSize * 0.4f);
        using SKFont probe = TextDrawing.Font(countSize, bold: true);
        int largest = 0;
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++) largest = Math.Max(largest, matrix[t, p]);
        float widest = probe.MeasureText(largest.ToString(CultureInfo.InvariantCulture));
        if (widest > cellSize - 6) countSize *= (cellSize - 6) / widest;
        return countSize;
    }

    // How the column names run, and the height they take under the grid.
    private static (ColumnLabels Columns, float Height) ColumnLayout(int cellSize, float labelWidth, float labelAscent, float labelLine)
    {
        float diagonal = (float)Math.Sqrt(0.5);
        var columns = labelWidth <= cellSize - 6 ? ColumnLabels.Across
            : cellSize * diagonal >= labelLine ? ColumnLabels.Slanted
            : ColumnLabels.Upright;
        float height = columns switch
        {
            ColumnLabels.Across => labelLine,
            ColumnLabels.Slanted => labelWidth * diagonal + labelAscent * diagonal + 4,
            _ => labelWidth + 4,
        };
        return (columns, height);
    }

    // Each cell coloured by its share of the row, its count written over it, the true-class names left of the rows,
    // and white lines between the cells.
    private static void DrawCells(SKCanvas canvas, ConfusionMatrix matrix, string[] names, float gridLeft, float gridTop,
        int cellSize, bool writeCounts, SKFont count, SKFont diagonalCount, SKFont label, SKPaint ink, SKPaint white)
    {
        int n = matrix.ClassCount;
        int grid = n * cellSize;
        float labelAscent = TextDrawing.Ascent(label);
        for (int t = 0; t < n; t++)
        {
            int support = matrix.Support(t);
            for (int p = 0; p < n; p++)
            {
                float share = support == 0 ? 0 : (float)matrix[t, p] / support;
                SKColor background = ColourAt(share);
                var cell = SKRect.Create(gridLeft + p * cellSize, gridTop + t * cellSize, cellSize, cellSize);
                using SKPaint fill = new() { Color = background, Style = SKPaintStyle.Fill };
                canvas.DrawRect(cell, fill);
                if (!writeCounts) continue;
                SKFont font = t == p ? diagonalCount : count;
                float baseline = cell.MidY + TextDrawing.Ascent(font) / 2f - 1;
                canvas.DrawText(matrix[t, p].ToString(CultureInfo.InvariantCulture), cell.MidX, baseline, SKTextAlign.Center, font,
                    Luminance(background) < 0.5 ? white : ink);
            }
            // True-class names, right-aligned against the grid and centred on their row.
            canvas.DrawText(names[t], gridLeft - Gap, gridTop + (t + 0.5f) * cellSize + labelAscent / 2f - 1,
                SKTextAlign.Right, label, ink);
        }

        using var gridLines = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        for (int i = 1; i < n; i++)
        {
            canvas.DrawLine(gridLeft + i * cellSize, gridTop, gridLeft + i * cellSize, gridTop + grid, gridLines);
            canvas.DrawLine(gridLeft, gridTop + i * cellSize, gridLeft + grid, gridTop + i * cellSize, gridLines);
        }
    }

    // The predicted-class names under the grid, one per column.
    private static void DrawColumnLabels(SKCanvas canvas, string[] names, ColumnLabels columns, float gridLeft, float labelsTop,
        int cellSize, SKFont label, SKPaint ink)
    {
        float labelAscent = TextDrawing.Ascent(label);
        float diagonal = (float)Math.Sqrt(0.5);
        for (int p = 0; p < names.Length; p++)
        {
            float centreX = gridLeft + (p + 0.5f) * cellSize;
            switch (columns)
            {
                case ColumnLabels.Slanted:
                    // Ends at the column's centre, running down-left at 45°, like matplotlib's rotation=45, ha="right".
                    canvas.Save();
                    canvas.Translate(centreX + labelAscent * diagonal / 2f, labelsTop);
                    canvas.RotateDegrees(-45);
                    canvas.DrawText(names[p], 0, labelAscent, SKTextAlign.Right, label, ink);
                    canvas.Restore();
                    break;
                case ColumnLabels.Upright:
                    // Reads upwards and ends just under the grid; the glyphs rise leftwards, so the baseline sits half an ascent right of the centre.
                    canvas.Save();
                    canvas.Translate(centreX + labelAscent / 2f - 1, labelsTop);
                    canvas.RotateDegrees(-90);
                    canvas.DrawText(names[p], 0, 0, SKTextAlign.Right, label, ink);
                    canvas.Restore();
                    break;
                default:
                    canvas.DrawText(names[p], centreX, labelsTop + labelAscent, SKTextAlign.Center, label, ink);
                    break;
            }
        }
    }

    // "Predicted" under the column names, and "True" upright just left of the longest row name (its glyphs rise
    // leftwards from the baseline).
    private static void DrawAxisTitles(SKCanvas canvas, float gridCentreX, float predictedTop, float rowNamesLeft, float gridMiddleY,
        SKFont axisTitle, SKPaint ink)
    {
        canvas.DrawText("Predicted", gridCentreX, predictedTop + TextDrawing.Ascent(axisTitle), SKTextAlign.Center, axisTitle, ink);

        canvas.Save();
        float axisTitleDescent = TextDrawing.LineHeight(axisTitle) - TextDrawing.Ascent(axisTitle);
        canvas.Translate(rowNamesLeft - axisTitleDescent, gridMiddleY);
        canvas.RotateDegrees(-90);
        canvas.DrawText("True", 0, 0, SKTextAlign.Center, axisTitle, ink);
        canvas.Restore();
    }

    private static void DrawColourBar(SKCanvas canvas, float left, float top, float height, SKFont label, SKPaint ink)
    {
        var bar = SKRect.Create(left, top, ColourBarWidth, height);
        using (var shader = SKShader.CreateLinearGradient(
                   new SKPoint(0, bar.Bottom), new SKPoint(0, bar.Top),
                   Blues.Select(stop => stop.Colour).ToArray(), Blues.Select(stop => stop.At).ToArray(), SKShaderTileMode.Clamp))
        using (var fill = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(bar, fill);
        }
        using var outline = new SKPaint { Color = new SKColor(0xD0, 0xD7, 0xDE), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(bar, outline);

        float ascent = TextDrawing.Ascent(label);
        foreach (float share in new[] { 0f, 0.5f, 1f })
        {
            float y = bar.Bottom - share * height;
            canvas.DrawLine(bar.Right, y, bar.Right + 4, y, outline);
            float baseline = Math.Clamp(y + ascent / 2f - 1, bar.Top + ascent, bar.Bottom);
            canvas.DrawText(string.Create(CultureInfo.InvariantCulture, $"{share * 100:0}%"), bar.Right + 6, baseline, SKTextAlign.Left, label, ink);
        }
    }

    private static SKColor ColourAt(float share)
    {
        share = Math.Clamp(share, 0, 1);
        for (int i = 1; i < Blues.Length; i++)
        {
            if (share > Blues[i].At) continue;
            var (at0, c0) = Blues[i - 1];
            var (at1, c1) = Blues[i];
            float f = (share - at0) / (at1 - at0);
            return new SKColor(Lerp(c0.Red, c1.Red, f), Lerp(c0.Green, c1.Green, f), Lerp(c0.Blue, c1.Blue, f));
        }
        return Blues[^1].Colour;
    }

    private static byte Lerp(byte a, byte b, float f) => (byte)Math.Round(a + (b - a) * f);

    /// <summary>Relative luminance (sRGB approximated by Rec. 709 weights on the 8-bit values), 0 black to 1 white.</summary>
    private static double Luminance(SKColor c) => (0.2126 * c.Red + 0.7152 * c.Green + 0.0722 * c.Blue) / 255.0;
}
