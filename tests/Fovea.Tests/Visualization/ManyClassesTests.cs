using Fovea.Data;
using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

/// <summary>The pictures stay readable for datasets unlike CIFAR-10: 2 classes or 100, long names, grey and non-square images.</summary>
public class ManyClassesTests
{
    private static string[] Names(int classes, int length = 8) =>
        Enumerable.Range(0, classes).Select(c => $"class {c} " + new string((char)('a' + c % 26), Math.Max(0, length - 8))).ToArray();

    /// <summary>Image i of class i % classes, predicted right three times in four.</summary>
    private static ConfusionMatrix Matrix(int classes, int images)
    {
        int[] truth = Enumerable.Range(0, images).Select(i => i % classes).ToArray();
        int[] predicted = truth.Select((t, i) => i % 4 == 3 ? (t + 1) % classes : t).ToArray();
        return ConfusionMatrix.FromLabels(truth, predicted, classes);
    }

    [Theory]
    [InlineData(2, 60)]
    [InlineData(10, 60)]
    [InlineData(30, 30)]
    [InlineData(100, 14)]
    public void Confusion_matrix_cells_shrink_with_the_classes_down_to_14_pixels(int classes, int cell)
    {
        Assert.Equal(cell, ConfusionMatrixChart.CellSize(classes));
        using SKBitmap bitmap = Decode(Charts.ConfusionMatrix(Matrix(classes, 40 * classes), Names(classes)));
        // The grid, the names, the colour bar and the margins: never a poster.
        Assert.InRange(bitmap.Width, classes * cell, classes * cell + 600);
        Assert.InRange(bitmap.Height, classes * cell, classes * cell + 400);
    }

    [Fact]
    public void With_100_classes_the_cells_carry_colour_only_and_with_2_they_carry_counts()
    {
        foreach (int classes in new[] { 2, 100 })
        {
            var matrix = Matrix(classes, 40 * classes);
            using SKBitmap bitmap = Decode(Charts.ConfusionMatrix(matrix, Names(classes)));
            // The darkest blue is the diagonal (75% of each class); find the first diagonal cell by its colour.
            var diagonal = new SKColor(0x08, 0x30, 0x6B);
            int darkest = CountNear(bitmap, diagonal, 40);
            int cell = ConfusionMatrixChart.CellSize(classes);
            Assert.True(darkest > classes * (cell - 2) * (cell - 2) / 2, $"{classes} classes: only {darkest} diagonal-blue pixels");
            // White count digits inside the dark diagonal cells: present for 2 classes, absent for 100.
            int whiteInside = 0;
            for (int y = 0; y < bitmap.Height; y++)
                for (int x = 4; x < bitmap.Width - 4; x++)
                    if (IsNear(bitmap.GetPixel(x - 4, y), diagonal) && bitmap.GetPixel(x, y) is { Red: > 180, Green: > 180, Blue: > 180 } && IsNear(bitmap.GetPixel(x + 4, y), diagonal))
                        whiteInside++;
            if (classes == 2) Assert.True(whiteInside > 10, $"no count written in the 2-class matrix ({whiteInside})");
            else Assert.True(whiteInside == 0, $"counts written in 14-pixel cells ({whiteInside} pixels)");
        }
    }

    private static bool IsNear(SKColor c, SKColor target) =>
        Math.Abs(c.Red - target.Red) < 30 && Math.Abs(c.Green - target.Green) < 30 && Math.Abs(c.Blue - target.Blue) < 30;

    [Fact]
    public void Long_class_names_are_cut_and_do_not_widen_the_matrix()
    {
        string[] shortNames = Names(10);
        string[] longNames = Names(10, length: 300);
        using SKBitmap plain = Decode(Charts.ConfusionMatrix(Matrix(10, 400), shortNames));
        using SKBitmap cut = Decode(Charts.ConfusionMatrix(Matrix(10, 400), longNames));
        // At most the 200-pixel name column more, on the left and under the grid (slanted), whatever the names' length.
        Assert.InRange(cut.Width - plain.Width, 0, 200);
        Assert.InRange(cut.Height - plain.Height, 0, 200);
    }

    [Fact]
    public void Non_square_images_keep_their_shape_in_the_grid()
    {
        const int height = 24, width = 40;
        var random = new Random(2);
        var pixels = new byte[6 * height * width * 3];
        random.NextBytes(pixels);
        var images = new ImageSet(pixels, 6, height, width, 3);
        int[] labels = [0, 1, 0, 1, 0, 1];
        string[] names = ["a very long class name that cannot fit under one picture", "b"];

        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, names, 6, 0);
        using SKBitmap bitmap = Decode(ImageGrid.Samples(images, labels, names, 6));

        Assert.Equal((width * layout.Scale, height * layout.Scale), (layout.ImageWidth, layout.ImageHeight));
        Assert.True(layout.ImageWidth >= CaptionedGrid.MinImageSide);
        Assert.True(layout.CellWidth <= layout.ImageWidth * 1.6 + 1, "a long name widened the cell");
        int first = ImageGrid.PickSamples(6, 6, 0)[0];
        SKPointI origin = layout.ImageOrigin(0);
        int s = layout.Scale;
        ReadOnlySpan<byte> source = images[first];
        int at = ((height - 1) * width + width - 1) * 3; // the bottom-right source pixel
        Assert.Equal(new SKColor(source[at], source[at + 1], source[at + 2]), bitmap.GetPixel(origin.X + width * s - 1, origin.Y + height * s - 1));
    }
}
