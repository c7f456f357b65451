using Fovea.Evaluation;
using Fovea.Tests.Evaluation;
using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class ReliabilityChartTests
{
    private const int Classes = 10;
    private static readonly SKColor AccuracyBlue = SKColor.Parse("#1F77B4");

    /// <summary>An over-confident model (labels drawn at T = 3, probabilities at T = 1) and the same after scaling.</summary>
    private static (ReliabilityDiagram Before, ReliabilityDiagram After, double Temperature) OverConfident()
    {
        var (logits, labels) = SyntheticLogits.Make(4000, Classes, temperature: 3);
        float[] probabilities = SyntheticLogits.Softmax(logits, Classes);
        double temperature = TemperatureScaling.FitFromProbabilities(probabilities, Classes, labels);
        return (Calibration.Reliability(probabilities, Classes, labels),
                Calibration.Reliability(TemperatureScaling.ApplyToProbabilities(probabilities, Classes, temperature), Classes, labels),
                temperature);
    }

    /// <summary>Pixels of the translucent red gap band (red over white, or over the blue bars).</summary>
    private static int GapPixels(SKBitmap bitmap, SKRectI area)
    {
        int count = 0;
        for (int y = area.Top; y < area.Bottom; y++)
            for (int x = area.Left; x < area.Right; x++)
                if (bitmap.GetPixel(x, y) is { Red: > 0xC0, Green: < 0xC8, Blue: < 0xC8 } c && c.Red - c.Green > 40) count++;
        return count;
    }

    [Fact]
    public void One_panel_has_bars_a_gap_band_and_a_title()
    {
        var (before, _, _) = OverConfident();
        using SKBitmap bitmap = Decode(ReliabilityChart.Render(before));
        Assert.Equal((ReliabilityChart.PanelWidth, ReliabilityChart.PanelHeight), (bitmap.Width, bitmap.Height));
        Assert.True(CountNear(bitmap, AccuracyBlue, 12) > 5000, "no accuracy bars");
        Assert.True(GapPixels(bitmap, new SKRectI(0, 0, bitmap.Width, bitmap.Height)) > 2000, "no gap band for an over-confident model");
        Assert.True(CountDark(bitmap, new SKRectI(0, 0, bitmap.Width, 50)) > 40, "no title text");
        Assert.Equal(SKColors.White, bitmap.GetPixel(2, 2));
    }

    [Fact]
    public void After_scaling_stands_beside_before_with_a_smaller_gap()
    {
        var (before, after, temperature) = OverConfident();
        byte[] png = ReliabilityChart.Render(before, after, temperature);
        using SKBitmap bitmap = Decode(png);
        Assert.Equal((2 * ReliabilityChart.PanelWidth, ReliabilityChart.PanelHeight), (bitmap.Width, bitmap.Height));
        int left = GapPixels(bitmap, new SKRectI(0, 0, ReliabilityChart.PanelWidth, bitmap.Height));
        int right = GapPixels(bitmap, new SKRectI(ReliabilityChart.PanelWidth, 0, bitmap.Width, bitmap.Height));
        Assert.True(right < left / 2, $"gap pixels: {left} before scaling, {right} after");
        Assert.True(CountNear(bitmap, AccuracyBlue, 12, new SKRectI(ReliabilityChart.PanelWidth, 0, bitmap.Width, bitmap.Height)) > 5000);
        Assert.Equal(png, ReliabilityChart.Render(before, after, temperature)); // the same picture every time
    }

    [Fact]
    public void Empty_bins_and_a_single_bin_still_draw()
    {
        ReliabilityDiagram one = Calibration.Reliability([0.9f, 0.1f, 0.2f, 0.8f], 2, [0, 0]);
        using SKBitmap bitmap = Decode(ReliabilityChart.Render(one));
        Assert.True(CountNear(bitmap, AccuracyBlue, 12) > 500);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1234, "1,234")]
    [InlineData(9999, "9,999")]
    [InlineData(10_000, "10k")]
    [InlineData(123_456, "123k")]
    [InlineData(2_500_000, "2M")]
    public void Counts_are_written_compactly(int count, string text) => Assert.Equal(text, ReliabilityChart.CompactCount(count));

    [Fact]
    public void A_bad_temperature_is_refused_with_its_value()
    {
        ReliabilityDiagram one = Calibration.Reliability([0.9f, 0.1f], 2, [0]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ReliabilityChart.Render(one, one, -1));
        Assert.Contains("temperature must be positive and finite; got -1", e.Message);
    }
}
