using Fovea.Imaging;
using Fovea.Training;
using ScottPlot;
using SkiaSharp;

namespace Fovea.Visualization;

/// <summary>
/// A training and a validation series by epoch, drawn with ScottPlot: the tutorial's
/// <c>plt.plot(history['loss']); plt.plot(history['val_loss'])</c>.
/// </summary>
internal static class HistoryChart
{
    public const int Width = 900;
    public const int Height = 540;
    private const int Padding = 14;

    // Matplotlib's first two colours (C0, C1), which the tutorial's plot uses for train and test.
    private static readonly Color TrainingColour = Color.FromHex("#1F77B4");
    private static readonly Color ValidationColour = Color.FromHex("#FF7F0E");

    public static byte[] Render(History history, string title, string yLabel, Func<EpochLog, double> training, Func<EpochLog, double?> validation)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Epochs.Count == 0) throw new ArgumentException("history must have at least one epoch; got 0", nameof(history));

        EmbeddedFonts.UseWithScottPlot();
        using var plot = new Plot();

        AddSeries(plot, "Training", TrainingColour, history.Epochs.Select(e => (e.Epoch, (double?)training(e))));
        AddSeries(plot, "Validation", ValidationColour, history.Epochs.Select(e => (e.Epoch, validation(e))));

        plot.Title(title, size: 20);
        plot.Axes.Title.Label.Bold = true;
        plot.XLabel("Epoch", size: 16);
        plot.YLabel(yLabel, size: 16);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;

        // Epochs are whole numbers: a tick at 2.5 would name an epoch that never happened.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Bottom.MinorTickStyle.Length = 0;

        plot.Grid.MajorLineColor = Color.FromHex("#E5E7EB");
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;

        // Outside the data area: a rising validation curve (overfitting) can reach any corner.
        ScottPlot.Panels.LegendPanel legend = plot.ShowLegend(Edge.Bottom);
        legend.Padding = new PixelPadding(0, 0, 4, 10);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.FontSize = 14;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;

        // Drawn inset on a white canvas: ScottPlot puts the axis labels against the figure's edge. (Rendering into a
        // sub-rectangle of the canvas does not work: ScottPlot clears the whole canvas first.)
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

    private static void AddSeries(Plot plot, string name, Color colour, IEnumerable<(int Epoch, double? Value)> points)
    {
        // Non-finite values (a diverged epoch) and missing validation epochs are left out rather than plotted.
        var kept = points.Where(p => p.Value is double v && double.IsFinite(v)).ToArray();
        if (kept.Length == 0) return;
        var scatter = plot.Add.Scatter(kept.Select(p => (double)p.Epoch).ToArray(), kept.Select(p => p.Value!.Value).ToArray());
        scatter.LegendText = name;
        scatter.Color = colour;
        scatter.LineWidth = 2.5f;
        scatter.MarkerSize = 8;
    }
}
