using Fovea.Imaging;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// The picture of one Grad-CAM explanation: the picture as the model saw it, the same picture under the heatmap in
/// the turbo colour map, the colour map's legend from 0 to 1, and the model's most probable classes.
/// </summary>
public static class GradCamPicture
{
    private const int Margin = 12, Gap = 12, MinSide = 192, LegendWidth = 16, LegendText = 34, TextWidth = 220, FontSize = 14;
    private const float Opacity = 0.5f;

    /// <summary>
    /// A PNG of picture <paramref name="hwc"/> (height × width × 1 or 3 bytes) with <paramref name="heatmap"/>
    /// (height × width values in [0, 1], top row first) laid over it, captioned with <paramref name="title"/> and the
    /// classes of <paramref name="top"/> with their probabilities.
    /// </summary>
    public static byte[] Draw(ReadOnlySpan<byte> hwc, int height, int width, int channels, ReadOnlySpan<float> heatmap,
        string title, IReadOnlyList<(string Label, float Probability)> top)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(top);
        if (height <= 0 || width <= 0 || channels is not (1 or 3) || hwc.Length < height * width * channels || heatmap.Length < height * width)
            throw new ArgumentException($"a {height}x{width}x{channels} picture needs {height * width * channels} bytes and {height * width} heatmap values");
        int scale = Math.Max(1, (MinSide + Math.Max(height, width) - 1) / Math.Max(height, width));
        int pw = width * scale, ph = height * scale;
        using SKFont font = TextDrawing.Font(FontSize);
        using SKFont bold = TextDrawing.Font(FontSize, bold: true);
        int line = (int)Math.Ceiling(TextDrawing.LineHeight(font));
        int canvasWidth = Margin + pw + Gap + pw + Gap + LegendWidth + LegendText + Gap + TextWidth + Margin;
        int canvasHeight = Margin + line + Gap / 2 + Math.Max(ph, line * (top.Count + 1)) + Margin;
        using var bitmap = new SKBitmap(new SKImageInfo(canvasWidth, canvasHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using SKPaint ink = TextDrawing.Fill(TextDrawing.Ink);
            float ascent = TextDrawing.Ascent(font);
            canvas.DrawText(TextDrawing.Fit(title, bold, canvasWidth - 2 * Margin), Margin, Margin + ascent, SKTextAlign.Left, bold, ink);
            int y0 = Margin + line + Gap / 2;
            int legendX = Margin + 2 * (pw + Gap);
            DrawLegend(canvas, legendX, y0, ph, font, ink);
            int textX = legendX + LegendWidth + LegendText + Gap;
            canvas.DrawText("Top classes", textX, y0 + ascent, SKTextAlign.Left, bold, ink);
            for (int i = 0; i < top.Count; i++)
            {
                string text = $"{top[i].Probability.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}  {top[i].Label}";
                canvas.DrawText(TextDrawing.Fit(text, font, TextWidth), textX, y0 + (i + 1) * line + ascent, SKTextAlign.Left, font, ink);
            }
        }
        PaintPictures(bitmap, hwc, height, width, channels, heatmap, scale, Margin, Margin + line + Gap / 2);
        return Bitmaps.EncodePng(bitmap);
    }

    /// <summary>The picture and its overlay, each pixel a <paramref name="scale"/>-sided square (nearest neighbour).</summary>
    private static void PaintPictures(SKBitmap bitmap, ReadOnlySpan<byte> hwc, int height, int width, int channels,
        ReadOnlySpan<float> heatmap, int scale, int left, int top)
    {
        int overlayLeft = left + width * scale + Gap;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p = (y * width + x) * channels;
                var (r, g, b) = channels == 3 ? (hwc[p], hwc[p + 1], hwc[p + 2]) : (hwc[p], hwc[p], hwc[p]);
                var heat = Turbo(heatmap[y * width + x]);
                var mixed = new SKColor(Mix(r, heat.Red), Mix(g, heat.Green), Mix(b, heat.Blue));
                var plain = new SKColor(r, g, b);
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++)
                    {
                        bitmap.SetPixel(left + x * scale + dx, top + y * scale + dy, plain);
                        bitmap.SetPixel(overlayLeft + x * scale + dx, top + y * scale + dy, mixed);
                    }
            }
    }

    private static byte Mix(byte picture, byte heat) => (byte)Math.Round(picture * (1 - Opacity) + heat * Opacity);

    /// <summary>A vertical bar from 1 (top) to 0 (bottom) with ticks at 0, 0.5 and 1.</summary>
    private static void DrawLegend(SKCanvas canvas, int x, int top, int height, SKFont font, SKPaint ink)
    {
        for (int y = 0; y < height; y++)
        {
            using var paint = new SKPaint { Color = Turbo(1 - y / (float)Math.Max(1, height - 1)) };
            canvas.DrawRect(x, top + y, LegendWidth, 1, paint);
        }
        float ascent = TextDrawing.Ascent(font);
        foreach (var (value, label) in new[] { (1f, "1.0"), (0.5f, "0.5"), (0f, "0.0") })
        {
            float y = top + (1 - value) * (height - 1);
            canvas.DrawText(label, x + LegendWidth + 4, Math.Clamp(y + ascent / 2, top + ascent, top + height), SKTextAlign.Left, font, ink);
        }
    }

    /// <summary>
    /// The turbo colour map (dark blue → cyan → green → yellow → red) at <paramref name="v"/> in [0, 1], from its
    /// published polynomial approximation.
    /// </summary>
    public static SKColor Turbo(float v)
    {
        double t = Math.Clamp(v, 0f, 1f);
        double r = 0.13572138 + t * (4.61539260 + t * (-42.66032258 + t * (132.13108234 + t * (-152.94239396 + t * 59.28637943))));
        double g = 0.09140261 + t * (2.19418839 + t * (4.84296658 + t * (-14.18503333 + t * (4.27729857 + t * 2.82956604))));
        double b = 0.10667330 + t * (12.64194608 + t * (-60.58204836 + t * (110.36276771 + t * (-89.90310912 + t * 27.34824973))));
        static byte Byte(double c) => (byte)Math.Round(255 * Math.Clamp(c, 0, 1));
        return new SKColor(Byte(r), Byte(g), Byte(b));
    }
}
