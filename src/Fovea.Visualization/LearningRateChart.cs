using System.Globalization;
using Fovea.Imaging;
using Fovea.Training;
using ScottPlot;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// The learning-rate finder's curve, drawn with ScottPlot as fast.ai's <c>plot_lr_find</c>: the smoothed training
/// loss against the learning rate on a logarithmic axis, the suggested rate marked.
/// </summary>
public static class LearningRateChart
{
    /// <summary>Width of the picture in pixels.</summary>
    public const int Width = 900;
    /// <summary>Height of the picture in pixels.</summary>
    public const int Height = 540;
    private const int Padding = 14;
    // The last points of a diverging sweep shoot up; like fast.ai's plot, the y axis is scaled without them.
    private const int SkipEnd = 5;

    private static readonly Color LossColour = Color.FromHex("#1F77B4");
    private static readonly Color SuggestionColour = Color.FromHex("#D62728");

    /// <summary>The sweep's curve as PNG bytes.</summary>
    public static byte[] Render(LearningRateSweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var points = Enumerable.Range(0, sweep.Losses.Count).Where(i => double.IsFinite(sweep.Losses[i]) && sweep.LearningRates[i] > 0).ToArray();
        if (points.Length == 0) throw new ArgumentException("the sweep has no finite loss to draw", nameof(sweep));

        EmbeddedFonts.UseWithScottPlot();
        using var plot = new Plot();
        double[] xs = points.Select(i => Math.Log10(sweep.LearningRates[i])).ToArray(), ys = points.Select(i => sweep.Losses[i]).ToArray();
        var curve = plot.Add.Scatter(xs, ys);
        curve.LegendText = "Smoothed training loss";
        curve.Color = LossColour;
        curve.LineWidth = 2.5f;
        curve.MarkerSize = 0;

        double suggested = Math.Log10(sweep.Suggestion);
        var line = plot.Add.VerticalLine(suggested);
        line.LineColor = SuggestionColour.WithAlpha(0.6);
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 1.5f;
        var marker = plot.Add.Marker(suggested, sweep.Losses[sweep.SuggestionIndex]);
        marker.Color = SuggestionColour;
        marker.Size = 14;
        marker.LegendText = "Suggestion (valley): " + Rate(sweep.Suggestion);

        plot.Title("Learning-rate finder", size: 20);
        plot.Axes.Title.Label.Bold = true;
        plot.XLabel("Learning rate (log scale)", size: 16);
        plot.YLabel("Loss", size: 16);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        // One labelled tick per power of ten: the axis holds log10(rate).
        int low = (int)Math.Floor(xs.Min()), high = (int)Math.Ceiling(xs.Max());
        double[] ticks = Enumerable.Range(low, high - low + 1).Select(e => (double)e).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, ticks.Select(e => "1e" + e.ToString(CultureInfo.InvariantCulture)).ToArray());
        double[] scaled = ys.Length > SkipEnd * 2 && sweep.Diverged ? ys[..^SkipEnd] : ys;
        double bottom = scaled.Min(), top = scaled.Max(), margin = Math.Max((top - bottom) * 0.08, 1e-3);
        plot.Axes.SetLimits(xs.Min(), xs.Max(), bottom - margin, top + margin);

        plot.Grid.MajorLineColor = Color.FromHex("#E5E7EB");
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Legend.Alignment = Alignment.LowerLeft;
        plot.Legend.FontSize = 14;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.ShowLegend();

        using var chart = new SKBitmap(new SKImageInfo(Width - 2 * Padding, Height - 2 * Padding, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var chartCanvas = new SKCanvas(chart))
        {
            plot.Render(chartCanvas, chart.Width, chart.Height);
        }
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(chart, Padding, Padding);
        }
        return Bitmaps.EncodePng(bitmap);
    }

    /// <summary>Writes <see cref="Render"/> to a PNG file.</summary>
    public static void Save(string path, LearningRateSweep sweep) => Bitmaps.WriteFile(path, Render(sweep));

    /// <summary>A rate as people write it: 0.0012 as "1.2e-3".</summary>
    public static string Rate(double rate) => rate.ToString("0.0#e0", CultureInfo.InvariantCulture);
}
