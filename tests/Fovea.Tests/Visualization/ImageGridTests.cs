using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class ImageGridTests
{
    [Fact]
    public void Samples_is_a_5x5_png_of_upscaled_images_with_exact_nearest_neighbour_pixels()
    {
        var (images, labels) = RandomImages(200);
        byte[] png = ImageGrid.Samples(images, labels, Cifar10Classes, count: 25, seed: 7);

        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, Cifar10Classes, 25, 7);
        int[] picked = ImageGrid.PickSamples(images.Count, 25, 7);
        using SKBitmap bitmap = Decode(png);
        Assert.Equal((5, 5), (layout.Columns, layout.Rows));
        Assert.Equal((layout.Width, layout.Height), (bitmap.Width, bitmap.Height));
        Assert.True(layout.ImageWidth >= 96, $"images are shown {layout.ImageWidth} px wide; want at least 96");
        Assert.Equal(0, layout.ImageWidth % images.Width); // an integer scale keeps every source pixel a square
        Assert.True(Variance(bitmap) > 0);
        Assert.Equal(SKColors.White, bitmap.GetPixel(1, 1));

        foreach (int cell in new[] { 0, 6, 24 })
        {
            SKPointI origin = layout.ImageOrigin(cell);
            ReadOnlySpan<byte> source = images[picked[cell]];
            // The cell's top-left pixel, and the last pixel of the block for source pixel (x=5, y=9).
            Assert.Equal(Rgb(source, 0, 0), bitmap.GetPixel(origin.X, origin.Y));
            int s = layout.Scale;
            Assert.Equal(Rgb(source, 5, 9), bitmap.GetPixel(origin.X + 5 * s + s - 1, origin.Y + 9 * s + s - 1));
            // The class name sits under the image: dark text pixels in the caption band.
            var caption = new SKRectI(origin.X - 20, origin.Y + layout.ImageHeight + 2, origin.X + layout.ImageWidth + 20, origin.Y + layout.ImageHeight + layout.LineHeight + 8);
            Assert.True(CountDark(bitmap, caption) > 20, $"no caption text under cell {cell}");
        }
    }

    [Fact]
    public void Samples_are_reproducible_from_the_seed_and_distinct()
    {
        var (images, labels) = RandomImages(60);
        Assert.Equal(ImageGrid.Samples(images, labels, Cifar10Classes, seed: 3), ImageGrid.Samples(images, labels, Cifar10Classes, seed: 3));
        Assert.NotEqual(ImageGrid.PickSamples(60, 25, 3), ImageGrid.PickSamples(60, 25, 4));
        Assert.Equal(25, ImageGrid.PickSamples(60, 25, 3).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 10), ImageGrid.PickSamples(10, 10, 5).Order());
    }

    [Theory]
    [InlineData(10, 4, 3)]
    [InlineData(1, 1, 1)]
    [InlineData(16, 4, 4)]
    public void Grid_is_near_square(int count, int columns, int rows)
    {
        var (images, labels) = RandomImages(30);
        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, Cifar10Classes, count, 0);
        Assert.Equal((columns, rows), (layout.Columns, layout.Rows));
        using SKBitmap bitmap = Decode(ImageGrid.Samples(images, labels, Cifar10Classes, count));
        Assert.Equal(layout.Width, bitmap.Width);
    }

    [Fact]
    public void Fewer_images_than_count_shows_them_all()
    {
        var (images, labels) = RandomImages(3);
        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, Cifar10Classes, 25, 0);
        Assert.Equal((2, 2), (layout.Columns, layout.Rows));
    }

    [Fact]
    public void Grey_images_are_drawn_too()
    {
        var (images, labels) = RandomImages(9, channels: 1);
        using SKBitmap bitmap = Decode(ImageGrid.Samples(images, labels, Cifar10Classes, 9));
        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, Cifar10Classes, 9, 0);
        SKPointI origin = layout.ImageOrigin(0);
        byte grey = images[ImageGrid.PickSamples(9, 9, 0)[0]][0];
        Assert.Equal(new SKColor(grey, grey, grey), bitmap.GetPixel(origin.X, origin.Y));
    }

    [Fact]
    public void Predictions_frame_right_in_green_and_wrong_in_red_with_titles_above()
    {
        var (images, labels) = RandomImages(40);
        float[] probabilities = Probabilities(labels); // even images right, odd wrong
        byte[] png = ImageGrid.Predictions(images, labels, probabilities, Cifar10Classes);

        CaptionedGrid layout = ImageGrid.PredictionsLayout(images, labels, probabilities, Cifar10Classes, 25);
        using SKBitmap bitmap = Decode(png);
        Assert.Equal((layout.Width, layout.Height), (bitmap.Width, bitmap.Height));
        Assert.Equal(2, layout.LinesAbove);
        Assert.True(Variance(bitmap) > 0);

        foreach (int cell in new[] { 0, 1, 12, 13 })
        {
            SKPointI origin = layout.ImageOrigin(cell);
            SKColor expected = cell % 2 == 0 ? ImageGrid.Right : ImageGrid.Wrong;
            Assert.Equal(expected, bitmap.GetPixel(origin.X - 1, origin.Y + 20));               // frame, left side
            Assert.Equal(Rgb(images[cell], 0, 0), bitmap.GetPixel(origin.X, origin.Y));        // image not covered
            var titles = new SKRectI(origin.X - 30, origin.Y - 2 * layout.LineHeight - 8, origin.X + layout.ImageWidth + 30, origin.Y - 4);
            Assert.True(CountNear(bitmap, expected, 40, titles) > 30, $"cell {cell}: no title text in {expected}");
        }
    }

    [Fact]
    public void Predictions_check_their_arguments()
    {
        var (images, labels) = RandomImages(5);
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.Predictions(images, labels, new float[49], Cifar10Classes));
        Assert.Contains("probabilities must hold 5 rows of 10 classes (50 values); got 49", e.Message);

        labels[3] = 10;
        e = Assert.Throws<ArgumentException>(() => ImageGrid.Samples(images, labels, Cifar10Classes));
        Assert.Contains("labels[3] must be a class index in [0, 10); got 10", e.Message);

        var c = Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Samples(images, [0, 0, 0, 0, 0], Cifar10Classes, count: 0));
        Assert.Contains("count must be positive; got 0", c.Message);
    }

    [Fact]
    public void Save_forms_write_the_same_png()
    {
        using var temp = new TempFolder();
        var (images, labels) = RandomImages(30);
        string samples = temp.Path("run/samples.png"), predictions = temp.Path("run/predictions.png");
        ImageGrid.SaveSamples(samples, images, labels, Cifar10Classes);
        ImageGrid.SavePredictions(predictions, images, labels, Probabilities(labels), Cifar10Classes);
        Assert.Equal(ImageGrid.Samples(images, labels, Cifar10Classes), File.ReadAllBytes(samples));
        Assert.Equal(ImageGrid.Predictions(images, labels, Probabilities(labels), Cifar10Classes), File.ReadAllBytes(predictions));
    }

    [Fact]
    public void Long_captions_are_cut_in_the_name_keeping_the_probability()
    {
        using SKFont font = TextDrawing.Font(15, bold: true);
        string fitted = TextDrawing.Fit("Pred: an extraordinarily long class name 87%", font, 150, keepEnd: 4);
        Assert.StartsWith("Pred: an", fitted);
        Assert.EndsWith("… 87%", fitted);
        Assert.True(font.MeasureText(fitted) <= 150);
        Assert.Equal("Pred: cat 87%", TextDrawing.Fit("Pred: cat 87%", font, 150, keepEnd: 4));
    }

    private static SKColor Rgb(ReadOnlySpan<byte> hwc, int x, int y, int width = 32)
    {
        int i = 3 * (y * width + x);
        return new SKColor(hwc[i], hwc[i + 1], hwc[i + 2]);
    }
}
