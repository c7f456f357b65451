using System.Reflection;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// The typefaces every picture draws its text with: DejaVu Sans, shipped inside this assembly.
/// </summary>
/// <remarks>
/// The Linux Skia native library (NoDependencies build) finds system fonts by scanning <c>/usr/share/fonts/</c>;
/// on a bare container that folder is empty and every label would come out blank. Loading the typeface from an
/// embedded resource makes the pictures the same on every machine, and pixel tests deterministic.
/// </remarks>
public static class EmbeddedFonts
{
    /// <summary>The family name ScottPlot knows the embedded font by; a name no system font uses, so a
    /// system font can never be picked in its place.</summary>
    public const string FamilyName = "Fovea DejaVu Sans";

    // SKData, not SKTypeface, is what is kept for ScottPlot: it may dispose a typeface a resolver hands it
    // (Fonts.Exists does), so each request gets a fresh typeface over the shared bytes.
    private static readonly Lazy<SKData> RegularData = new(() => LoadResource("DejaVuSans.ttf"));
    private static readonly Lazy<SKData> BoldData = new(() => LoadResource("DejaVuSans-Bold.ttf"));
    private static readonly Lazy<SKTypeface> RegularTypeface = new(() => CreateTypeface(bold: false));
    private static readonly Lazy<SKTypeface> BoldTypeface = new(() => CreateTypeface(bold: true));
    private static readonly object ScottPlotLock = new();
    private static bool s_scottPlotConfigured;

    /// <summary>DejaVu Sans Book. Shared: do not dispose.</summary>
    public static SKTypeface Regular => RegularTypeface.Value;

    /// <summary>DejaVu Sans Bold. Shared: do not dispose.</summary>
    public static SKTypeface Bold => BoldTypeface.Value;

    /// <summary>A new typeface over the embedded font bytes; the caller owns it.</summary>
    public static SKTypeface CreateTypeface(bool bold)
    {
        SKData data = bold ? BoldData.Value : RegularData.Value;
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"the embedded font {(bold ? "DejaVuSans-Bold.ttf" : "DejaVuSans.ttf")} could not be loaded by Skia");
    }

    /// <summary>
    /// Makes ScottPlot draw all its text with the embedded font: registers a resolver for <see cref="FamilyName"/>
    /// ahead of the system one and makes it the default. Idempotent; call before creating a <c>Plot</c>, whose
    /// labels copy the default font name when they are constructed.
    /// </summary>
    public static void UseWithScottPlot()
    {
        lock (ScottPlotLock)
        {
            if (s_scottPlotConfigured) return;
            ScottPlot.Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            ScottPlot.Fonts.Default = FamilyName;
            ScottPlot.Fonts.Sans = FamilyName;
            s_scottPlotConfigured = true;
        }
    }

    private static SKData LoadResource(string fileName)
    {
        string name = "Fovea.Visualization.Fonts." + fileName;
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        return SKData.Create(stream);
    }
}
