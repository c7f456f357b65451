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
    private const int CellSize = 60;
    private const int Gap = 10;           // between labels and the grid
    private const int ColourBarWidth = 16;
    private const float LabelSize = 14;
    private const float CountSize = 14;
    private const float TitleSize = 20;
    private const float AxisTitleSize = 16;

    // Matplotlib's "Blues" colour map, the one scikit-learn's ConfusionMatrixDisplay uses.
    private static readonly (float At, SKColor Colour)[] Blues =
    [
        (0.00f, new SKColor(0xF7, 0xFB, 0xFF)),
        (0.25f, new SKColor(0xC6, 0xDB, 0xEF)),
        (0.50f, new SKColor(0x6B, 0xAE, 0xD6)),
        (0.75f, new SKColor(0x21, 0x71, 0xB5)),
        (1.00f, new SKColor(0x08, 0x30, 0x6B)),
    ];

    public static byte[] Render(ConfusionMatrix matrix, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = matrix.ClassCount;
        if (classNames.Count != n)
            throw new ArgumentException($"classNames must name the matrix's {n} classes; got {classNames.Count}", nameof(classNames));

        using SKFont title = TextDrawing.Font(TitleSize, bold: true);
        using SKFont subtitle = TextDrawing.Font(LabelSize);
        using SKFont axisTitle = TextDrawing.Font(AxisTitleSize, bold: true);
        using SKFont label = TextDrawing.Font(LabelSize);
        using SKFont count = TextDrawing.Font(CountSize);
        using SKFont diagonalCount = TextDrawing.Font(CountSize, bold: true);

        float labelWidth = classNames.Max(name => label.MeasureText(name));
        float labelAscent = TextDrawing.Ascent(label);
        // Column names go under the grid; turned 45° when the widest does not fit across a cell.
        bool rotate = labelWidth > CellSize - 6;
        float diagonal = (float)Math.Sqrt(0.5);
        float columnLabelsHeight = rotate ? labelWidth * diagonal + labelAscent * diagonal + 4 : TextDrawing.LineHeight(label);

        int grid = n * CellSize;
        float gridLeft = Margin + TextDrawing.LineHeight(axisTitle) + Gap + labelWidth + Gap;
        if (rotate) // the first rotated name reaches left of its column; keep it on the canvas
            gridLeft = Math.Max(gridLeft, Margin + labelWidth * diagonal - CellSize / 2f);
        float gridTop = Margin + TextDrawing.LineHeight(title) + TextDrawing.LineHeight(subtitle) + 2 * Gap;
        float width = gridLeft + grid + 2 * Gap + ColourBarWidth + 6 + label.MeasureText("100%") + Margin;
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

            for (int t = 0; t < n; t++)
            {
                int support = matrix.Support(t);
                for (int p = 0; p < n; p++)
                {
                    float share = support == 0 ? 0 : (float)matrix[t, p] / support;
                    SKColor background = ColourAt(share);
                    var cell = SKRect.Create(gridLeft + p * CellSize, gridTop + t * CellSize, CellSize, CellSize);
                    using SKPaint fill = new() { Color = background, Style = SKPaintStyle.Fill };
                    canvas.DrawRect(cell, fill);
                    SKFont font = t == p ? diagonalCount : count;
                    float baseline = cell.MidY + TextDrawing.Ascent(font) / 2f - 1;
                    canvas.DrawText(matrix[t, p].ToString(CultureInfo.InvariantCulture), cell.MidX, baseline, SKTextAlign.Center, font,
                        Luminance(background) < 0.5 ? white : ink);
                }
                // True-class names, right-aligned against the grid and centred on their row.
                canvas.DrawText(classNames[t], gridLeft - Gap, gridTop + (t + 0.5f) * CellSize + labelAscent / 2f - 1,
                    SKTextAlign.Right, label, ink);
            }

            using (var gridLines = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Stroke, StrokeWidth = 1 })
            {
                for (int i = 1; i < n; i++)
                {
                    canvas.DrawLine(gridLeft + i * CellSize, gridTop, gridLeft + i * CellSize, gridTop + grid, gridLines);
                    canvas.DrawLine(gridLeft, gridTop + i * CellSize, gridLeft + grid, gridTop + i * CellSize, gridLines);
                }
            }

            float labelsTop = gridTop + grid + Gap;
            for (int p = 0; p < n; p++)
            {
                float centreX = gridLeft + (p + 0.5f) * CellSize;
                if (rotate)
                {
                    // Ends at the column's centre, running down-left at 45°, like matplotlib's rotation=45, ha="right".
                    canvas.Save();
                    canvas.Translate(centreX + labelAscent * diagonal / 2f, labelsTop);
                    canvas.RotateDegrees(-45);
                    canvas.DrawText(classNames[p], 0, labelAscent, SKTextAlign.Right, label, ink);
                    canvas.Restore();
                }
                else
                {
                    canvas.DrawText(classNames[p], centreX, labelsTop + labelAscent, SKTextAlign.Center, label, ink);
                }
            }

            canvas.DrawText("Predicted", gridCentreX, labelsTop + columnLabelsHeight + Gap + TextDrawing.Ascent(axisTitle),
                SKTextAlign.Center, axisTitle, ink);

            canvas.Save();
            // Just left of the longest row name; its glyphs rise leftwards from the baseline.
            float axisTitleDescent = TextDrawing.LineHeight(axisTitle) - TextDrawing.Ascent(axisTitle);
            canvas.Translate(gridLeft - 2 * Gap - labelWidth - axisTitleDescent, gridTop + grid / 2f);
            canvas.RotateDegrees(-90);
            canvas.DrawText("True", 0, 0, SKTextAlign.Center, axisTitle, ink);
            canvas.Restore();

            DrawColourBar(canvas, colourBarLeft, gridTop, grid, label, ink);
        }
        return Bitmaps.EncodePng(bitmap);
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
