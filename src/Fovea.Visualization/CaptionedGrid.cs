using Fovea.Data;
using Fovea.Imaging;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>One line of text over or under a grid cell's image.</summary>
/// <remarks><see cref="KeepEnd"/>: how many trailing characters survive when the line is cut to fit (the "87%").</remarks>
internal readonly record struct CaptionLine(string Text, SKColor Color, bool Bold = false, int KeepEnd = 0);

/// <summary>One cell of a <see cref="CaptionedGrid"/>: which image, its caption lines, and an optional frame colour.</summary>
internal sealed record GridCell(int ImageIndex, IReadOnlyList<CaptionLine> Above, IReadOnlyList<CaptionLine> Below, SKColor? Frame = null);

/// <summary>
/// Lays out and draws images in a near-square grid (5x5 for 25) on white, each upscaled by an integer factor with
/// nearest-neighbour sampling so every source pixel stays a crisp square, with caption lines above and below.
/// </summary>
internal sealed class CaptionedGrid
{
    /// <summary>Smallest side an image is shown at: 32-pixel CIFAR images are unreadable at 1:1.</summary>
    public const int MinImageSide = 128;

    private const float FontSize = 15;
    private const int Margin = 20;      // around the whole grid
    private const int GapX = 20;        // between cells, horizontally
    private const int GapY = 18;        // between cells, vertically
    private const int CaptionGap = 6;   // between an image and its captions
    private const int FrameWidth = 3;

    // Captions wider than this many image widths are cut with an ellipsis rather than widening every cell.
    private const float MaxCellWidthInImages = 1.6f;

    private readonly ImageSet _images;
    private readonly IReadOnlyList<GridCell> _cells;

    public CaptionedGrid(ImageSet images, IReadOnlyList<GridCell> cells)
    {
        if (cells.Count == 0) throw new ArgumentException("a grid needs at least one cell; got 0", nameof(cells));
        _images = images;
        _cells = cells;
        Columns = (int)Math.Ceiling(Math.Sqrt(cells.Count));
        Rows = (cells.Count + Columns - 1) / Columns;
        Scale = Math.Max(1, (int)Math.Ceiling((double)MinImageSide / Math.Max(images.Width, images.Height)));
        ImageWidth = images.Width * Scale;
        ImageHeight = images.Height * Scale;

        using SKFont regular = TextDrawing.Font(FontSize);
        using SKFont bold = TextDrawing.Font(FontSize, bold: true);
        LineHeight = (int)Math.Ceiling(TextDrawing.LineHeight(regular));
        float widest = cells.SelectMany(c => c.Above.Concat(c.Below))
            .Select(line => (line.Bold ? bold : regular).MeasureText(line.Text))
            .DefaultIfEmpty(0)
            .Max();
        CellWidth = (int)Math.Ceiling(Math.Clamp(widest, ImageWidth, ImageWidth * MaxCellWidthInImages));
        LinesAbove = cells.Max(c => c.Above.Count);
        LinesBelow = cells.Max(c => c.Below.Count);
        CellHeight = CaptionBlock(LinesAbove) + ImageHeight + CaptionBlock(LinesBelow);
        Width = 2 * Margin + Columns * CellWidth + (Columns - 1) * GapX;
        Height = 2 * Margin + Rows * CellHeight + (Rows - 1) * GapY;
    }

    public int Columns { get; }
    public int Rows { get; }
    public int Scale { get; }
    public int ImageWidth { get; }
    public int ImageHeight { get; }
    public int CellWidth { get; }
    public int CellHeight { get; }
    public int LineHeight { get; }
    public int LinesAbove { get; }
    public int LinesBelow { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Top-left pixel of cell <paramref name="cell"/>'s (upscaled) image in the output.</summary>
    public SKPointI ImageOrigin(int cell)
    {
        int column = cell % Columns, row = cell / Columns;
        int cellLeft = Margin + column * (CellWidth + GapX);
        int cellTop = Margin + row * (CellHeight + GapY);
        return new SKPointI(cellLeft + (CellWidth - ImageWidth) / 2, cellTop + CaptionBlock(LinesAbove));
    }

    public SKBitmap Draw()
    {
        var output = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(output);
        canvas.Clear(SKColors.White);
        using SKFont regular = TextDrawing.Font(FontSize);
        using SKFont bold = TextDrawing.Font(FontSize, bold: true);
        float ascent = TextDrawing.Ascent(regular);
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);

        for (int i = 0; i < _cells.Count; i++)
        {
            GridCell cell = _cells[i];
            SKPointI origin = ImageOrigin(i);
            var imageRect = SKRect.Create(origin.X, origin.Y, ImageWidth, ImageHeight);

            if (cell.Frame is SKColor frame)
            {
                using var framePaint = new SKPaint { Color = frame, Style = SKPaintStyle.Stroke, StrokeWidth = FrameWidth, IsAntialias = false };
                // Flush against the image's outside edge; the image is drawn after it, so no image pixel is covered.
                canvas.DrawRect(SKRect.Inflate(imageRect, FrameWidth / 2f, FrameWidth / 2f), framePaint);
            }

            using (SKBitmap source = Bitmaps.FromHwc(_images[cell.ImageIndex], _images.Width, _images.Height, _images.Channels))
            using (SKImage image = SKImage.FromBitmap(source))
            {
                canvas.DrawImage(image, imageRect, nearest);
            }

            float centreX = origin.X + ImageWidth / 2f;
            float top = origin.Y - CaptionBlock(LinesAbove) + (LinesAbove - cell.Above.Count) * LineHeight;
            DrawLines(canvas, cell.Above, centreX, top, ascent, regular, bold);
            DrawLines(canvas, cell.Below, centreX, imageRect.Bottom + CaptionGap, ascent, regular, bold);
        }
        return output;
    }

    private int CaptionBlock(int lines) => lines == 0 ? 0 : lines * LineHeight + CaptionGap;

    private void DrawLines(SKCanvas canvas, IReadOnlyList<CaptionLine> lines, float centreX, float top, float ascent, SKFont regular, SKFont bold)
    {
        for (int l = 0; l < lines.Count; l++)
        {
            SKFont font = lines[l].Bold ? bold : regular;
            using SKPaint paint = TextDrawing.Fill(lines[l].Color);
            string text = TextDrawing.Fit(lines[l].Text, font, CellWidth, lines[l].KeepEnd);
            canvas.DrawText(text, centreX, top + l * LineHeight + ascent, SKTextAlign.Center, font, paint);
        }
    }
}
