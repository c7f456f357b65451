using ScottPlot;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// Answers ScottPlot's typeface requests for <see cref="EmbeddedFonts.FamilyName"/> with the embedded DejaVu Sans;
/// any other name falls through (null) to ScottPlot's next resolver.
/// </summary>
internal sealed class EmbeddedFontResolver : IFontResolver
{
    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
        CreateTypeface(fontName, bold: weight >= FontWeight.SemiBold, italic: false);

    // Italic and condensed requests get the upright face: no chart here asks for them, and DejaVu's oblique
    // would double the embedded size.
    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        string.Equals(fontName, EmbeddedFonts.FamilyName, StringComparison.OrdinalIgnoreCase)
            ? EmbeddedFonts.CreateTypeface(bold)
            : null;
}
