using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class ChartsTests
{
    private static readonly SKColor TrainingBlue = SKColor.Parse("#1F77B4");
    private static readonly SKColor ValidationOrange = SKColor.Parse("#FF7F0E");

    [Fact]
    public void Loss_chart_has_both_series_and_text()
    {
        using SKBitmap bitmap = Decode(Charts.Loss(History(10)));
        Assert.Equal((HistoryChart.Width, HistoryChart.Height), (bitmap.Width, bitmap.Height));
        Assert.True(Variance(bitmap) > 0);
        Assert.True(CountNear(bitmap, TrainingBlue, 12) > 200, "no training series");
        Assert.True(CountNear(bitmap, ValidationOrange, 12) > 200, "no validation series");
        // The title is drawn in the top band: without a usable font that band would stay white.
        Assert.True(CountDark(bitmap, new SKRectI(0, 0, bitmap.Width, 50)) > 40, "no title text");
        Assert.Equal(SKColors.White, bitmap.GetPixel(2, 2));
    }

    [Fact]
    public void Accuracy_chart_without_validation_draws_the_training_series_only()
    {
        using SKBitmap bitmap = Decode(Charts.Accuracy(History(5, withValidation: false)));
        Assert.True(CountNear(bitmap, TrainingBlue, 12) > 100);
        Assert.Equal(0, CountNear(bitmap, ValidationOrange, 12));
    }

    [Fact]
    public void A_single_epoch_and_a_non_finite_loss_still_draw()
    {
        using SKBitmap one = Decode(Charts.Loss(History(1)));
        Assert.True(CountNear(one, TrainingBlue, 12) > 20);

        var history = History(4);
        history.Add(new Fovea.Training.EpochLog(5, double.NaN, 0.5, double.PositiveInfinity, 0.5, 1));
        using SKBitmap diverged = Decode(Charts.Loss(history));
        Assert.True(CountNear(diverged, TrainingBlue, 12) > 100);
    }

    [Fact]
    public void Empty_history_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.Loss(new Fovea.Training.History()));
        Assert.Contains("history must have at least one epoch; got 0", e.Message);
    }

    [Fact]
    public void Confusion_matrix_heatmap_has_a_strong_blue_diagonal_and_a_title()
    {
        var (_, labels) = RandomImages(500);
        int[] predicted = labels.Select((l, i) => i % 5 == 0 ? (l + 3) % 10 : l).ToArray();
        using SKBitmap bitmap = Decode(Charts.ConfusionMatrix(ConfusionMatrix.FromLabels(labels, predicted, 10), Cifar10Classes));
        Assert.True(bitmap.Width > 600 && bitmap.Height > 600, $"{bitmap.Width}x{bitmap.Height}");
        Assert.True(Variance(bitmap) > 0);
        // 80% of each row on the diagonal: ten cells between the colour map's 75% and 100% blues.
        int strongBlue = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) is { Red: < 0x30, Blue: > 0x90 }) strongBlue++;
        Assert.True(strongBlue > 10 * 40 * 40, $"diagonal cells: {strongBlue} strong blue pixels");
        Assert.True(CountDark(bitmap, new SKRectI(0, 0, bitmap.Width, 40)) > 40, "no title text");
    }

    [Fact]
    public void Confusion_matrix_overloads_write_the_same_picture()
    {
        using var temp = new TempFolder();
        int[] truth = [0, 1, 2, 2, 1], predicted = [0, 2, 2, 2, 1];
        string[] names = ["a", "b", "c"];
        Charts.ConfusionMatrix(truth, predicted, names, temp.Path("labels.png"));
        Charts.ConfusionMatrix(ConfusionMatrix.FromLabels(truth, predicted, 3).ToArray(), names, temp.Path("counts.png"));
        Assert.Equal(File.ReadAllBytes(temp.Path("labels.png")), File.ReadAllBytes(temp.Path("counts.png")));
        Charts.Loss(History(3), temp.Path("sub/loss.png"));
        Charts.Accuracy(History(3), temp.Path("sub/accuracy.png"));
        Assert.True(File.Exists(temp.Path("sub/loss.png")) && File.Exists(temp.Path("sub/accuracy.png")));
    }

    [Fact]
    public void Confusion_matrix_needs_a_name_per_class()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.ConfusionMatrix(new ConfusionMatrix(new int[3, 3]), ["a", "b"]));
        Assert.Contains("classNames must name the matrix's 3 classes; got 2", e.Message);
    }
}
