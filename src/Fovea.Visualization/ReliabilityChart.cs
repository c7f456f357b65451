using System.Globalization;
using Fovea.Evaluation;
using Fovea.Imaging;
using ScottPlot;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// The reliability diagram of Guo et al. 2017 (Figure 1's lower row), drawn with ScottPlot: per confidence bin, the
/// accuracy as a bar, the gap up (or down) to the bin's mean confidence as a red band, the diagonal a calibrated model
/// would follow, and the number of images above each bar; the ECE in the title. With a temperature, the diagram
/// after scaling stands beside the one before.
/// </summary>
public static class ReliabilityChart
{
    /// <summary>Width of one diagram in pixels (two stand side by side with a temperature).</summary>
    public const int PanelWidth = 640;
    /// <summary>Height of the picture in pixels.</summary>
    public const int PanelHeight = 600;
    private const int Padding = 14;

    // Matplotlib's C0 for the accuracy, as the paper's figure; a translucent red for the gap.
    private static readonly Color AccuracyColour = Color.FromHex("#1F77B4");
    private static readonly Color GapColour = Color.FromHex("#D62728").WithAlpha(0.35);
    private static readonly Color GapEdge = Color.FromHex("#D62728");
    private static readonly Color DiagonalColour = Color.FromHex("#59636E");
    private static readonly double[] Ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
    private static readonly string[] TickLabels = ["0", "0.2", "0.4", "0.6", "0.8", "1"];

    /// <summary>
    /// The diagram as PNG bytes: one panel, or two side by side when <paramref name="calibrated"/> (the same images'
    /// diagram after temperature scaling) is given; <paramref name="temperature"/> is then named in its title.
    /// </summary>
    public static byte[] Render(ReliabilityDiagram diagram, ReliabilityDiagram? calibrated = null, double? temperature = null)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        if (temperature is double t && !(t > 0 && double.IsFinite(t)))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive and finite; got {t}");
        var panels = new List<(ReliabilityDiagram Diagram, string Title)>
        {
            (diagram, calibrated is null ? "Reliability" : "Before temperature scaling"),
        };
        if (calibrated is not null)
        {
            string scaled = temperature is double value ? string.Create(CultureInfo.InvariantCulture, $"After scaling, T = {value:0.###}") : "After temperature scaling";
            panels.Add((calibrated, scaled));
        }

        using var bitmap = new SKBitmap(new SKImageInfo(panels.Count * PanelWidth, PanelHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            for (int p = 0; p < panels.Count; p++)
            {
                using SKBitmap panel = RenderPanel(panels[p].Diagram, panels[p].Title);
                canvas.DrawBitmap(panel, p * PanelWidth + Padding, Padding);
            }
        }
        return Bitmaps.EncodePng(bitmap);
    }

    /// <summary>Writes <see cref="Render"/> to a PNG file.</summary>
    public static void Save(string path, ReliabilityDiagram diagram, ReliabilityDiagram? calibrated = null, double? temperature = null) =>
        Bitmaps.WriteFile(path, Render(diagram, calibrated, temperature));

    /// <summary>"1,234" up to 9,999, then "12k": a count must fit above a bar one fifteenth of the axis wide.</summary>
    internal static string CompactCount(int count) =>
        count < 10_000 ? count.ToString("N0", CultureInfo.InvariantCulture)
        : count < 1_000_000 ? (count / 1000).ToString(CultureInfo.InvariantCulture) + "k"
        : (count / 1_000_000).ToString(CultureInfo.InvariantCulture) + "M";

    private static SKBitmap RenderPanel(ReliabilityDiagram diagram, string title)
    {
        EmbeddedFonts.UseWithScottPlot();
        using var plot = new Plot();
        var bins = diagram.Bins.Where(b => b.Count > 0).ToArray();
        double width = diagram.Bins.Count == 0 ? 1 : 1.0 / diagram.Bins.Count;

        var accuracy = plot.Add.Bars(bins.Select(b => new Bar
        {
            Position = (b.Lower + b.Upper) / 2, Value = b.Accuracy, Size = width,
            FillColor = AccuracyColour, LineColor = Colors.White, LineWidth = 1,
        }).ToArray());
        accuracy.LegendText = "Accuracy";
        var gap = plot.Add.Bars(bins.Select(b => new Bar
        {
            Position = (b.Lower + b.Upper) / 2, ValueBase = Math.Min(b.Accuracy, b.Confidence), Value = Math.Max(b.Accuracy, b.Confidence),
            Size = width, FillColor = GapColour, LineColor = GapEdge, LineWidth = 1,
        }).ToArray());
        gap.LegendText = "Gap to mean confidence";
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineColor = DiagonalColour;
        diagonal.LineWidth = 2;
        diagonal.LegendText = "Calibrated";

        foreach (ReliabilityBin b in bins)
        {
            var count = plot.Add.Text(CompactCount(b.Count), (b.Lower + b.Upper) / 2, Math.Max(b.Accuracy, b.Confidence) + 0.01);
            count.LabelFontSize = 11;
            count.LabelFontColor = DiagonalColour;
            count.LabelAlignment = Alignment.LowerCenter;
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{title} · ECE {diagram.ExpectedCalibrationError * 100:0.00}%"), size: 18);
        plot.Axes.Title.Label.Bold = true;
        plot.XLabel(string.Create(CultureInfo.InvariantCulture, $"Confidence (top probability) · {diagram.Count:N0} images, accuracy {diagram.Accuracy * 100:0.0}%"), size: 14);
        plot.YLabel("Accuracy", size: 15);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.SetLimits(0, 1, 0, 1.08); // room above a full bar for its count
        // Fixed ticks every 0.2, 0 included (an interval generator drops the tick on the axis's edge), none above 1.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Ticks, TickLabels);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Ticks, TickLabels);
        plot.Grid.MajorLineColor = Color.FromHex("#E5E7EB");
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        // Upper left: above the diagonal, where an over-confident model's bars never reach.
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.Legend.FontSize = 12;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.ShowLegend();

        var panel = new SKBitmap(new SKImageInfo(PanelWidth - 2 * Padding, PanelHeight - 2 * Padding, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(panel);
        plot.Render(canvas, panel.Width, panel.Height);
        return panel;
    }
}
