using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>Fonts and text measuring for the pictures drawn directly with Skia.</summary>
internal static class TextDrawing
{
    public static readonly SKColor Ink = new(0x1F, 0x23, 0x28);
    public static readonly SKColor MutedInk = new(0x59, 0x63, 0x6E);

    /// <summary>An anti-aliased font over the embedded DejaVu Sans; the caller disposes it.</summary>
    public static SKFont Font(float size, bool bold = false) =>
        new(bold ? EmbeddedFonts.Bold : EmbeddedFonts.Regular, size)
        {
            Edging = SKFontEdging.Antialias,
            Subpixel = true,
            Hinting = SKFontHinting.Slight,
        };

    public static SKPaint Fill(SKColor color) => new() { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };

    /// <summary>Height of one line of text: ascent + descent + leading, from the font's metrics.</summary>
    public static float LineHeight(SKFont font)
    {
        font.GetFontMetrics(out SKFontMetrics m);
        return -m.Ascent + m.Descent + m.Leading;
    }

    /// <summary>Distance from a line's top to its baseline.</summary>
    public static float Ascent(SKFont font)
    {
        font.GetFontMetrics(out SKFontMetrics m);
        return -m.Ascent;
    }

    /// <summary>
    /// The text, cut and marked with an ellipsis if it is wider than <paramref name="maxWidth"/>: a long class name
    /// must not run into its neighbour's cell. The last <paramref name="keepEnd"/> characters are always kept, so
    /// "Pred: a very long name 87%" loses part of the name, not the probability.
    /// </summary>
    public static string Fit(string text, SKFont font, float maxWidth, int keepEnd = 0)
    {
        if (font.MeasureText(text) <= maxWidth) return text;
        keepEnd = Math.Clamp(keepEnd, 0, text.Length);
        string head = text[..^keepEnd], tail = text[^keepEnd..];
        string end = "…" + tail;
        float room = maxWidth - font.MeasureText(end);
        int keep = room <= 0 ? 0 : font.BreakText(head, room);
        return head[..keep].TrimEnd() + end;
    }
}
