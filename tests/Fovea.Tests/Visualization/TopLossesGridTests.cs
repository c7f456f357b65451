using Fovea.Evaluation;
using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class TopLossesGridTests
{
    private static SKColor Rgb(ReadOnlySpan<byte> image, int x, int y, int width = 32) =>
        new(image[(y * width + x) * 3], image[(y * width + x) * 3 + 1], image[(y * width + x) * 3 + 2]);

    [Fact]
    public void The_highest_losses_are_drawn_in_order_with_their_captions()
    {
        var (images, labels) = RandomImages(40);
        float[] probabilities = Probabilities(labels);
        IReadOnlyList<TopLoss> top = TopLosses.Find(probabilities, 10, labels, 9);
        GridCell[] cells = TopLossesGrid.Cells(images, top, Cifar10Classes);

        Assert.Equal(top.Select(t => t.Index), cells.Select(c => c.ImageIndex));
        // Odd images are wrong at 55% with the true class at 5%: loss −log 0.05 = 3.00; ties in index order.
        Assert.Equal([1, 3, 5, 7, 9, 11, 13, 15, 17], cells.Select(c => c.ImageIndex));
        TopLoss first = top[0];
        Assert.Equal(
            [$"Pred: {Cifar10Classes[first.PredictedClass]} 55%", $"True: {Cifar10Classes[labels[1]]} 5%", "Loss: 3.00"],
            cells[0].Above.Select(line => line.Text));
        Assert.Equal(ImageGrid.Wrong, cells[0].Frame);

        CaptionedGrid layout = TopLossesGrid.Layout(images, top, Cifar10Classes);
        using SKBitmap bitmap = Decode(TopLossesGrid.Render(images, labels, probabilities, Cifar10Classes, 9));
        Assert.Equal((layout.Width, layout.Height), (bitmap.Width, bitmap.Height));
        Assert.Equal((3, 3), (layout.Columns, layout.Rows));
        SKPointI origin = layout.ImageOrigin(4);
        Assert.Equal(Rgb(images[top[4].Index], 0, 0), bitmap.GetPixel(origin.X, origin.Y));
        Assert.True(CountNear(bitmap, ImageGrid.Wrong, 40) > 200, "no red captions or frames");
    }

    [Fact]
    public void A_right_but_unsure_image_is_green_and_a_vanishing_probability_reads_below_one_percent()
    {
        var (images, _) = RandomImages(2);
        TopLoss[] losses = [new(0, 3, 0.3f, 3, 0.3f, 1.2), new(1, 2, 0.999f, 5, 0.001f, 6.9)];
        GridCell[] cells = TopLossesGrid.Cells(images, losses, Cifar10Classes);
        Assert.Equal(ImageGrid.Right, cells[0].Frame);
        Assert.Equal("True: dog <1%", cells[1].Above[1].Text);
        Assert.Equal("Pred: bird 100%", cells[1].Above[0].Text);
    }

    [Fact]
    public void Losses_naming_missing_images_or_classes_are_refused()
    {
        var (images, labels) = RandomImages(3);
        var e = Assert.Throws<ArgumentException>(() => TopLossesGrid.Render(images, [new TopLoss(5, 0, 1, 0, 1, 0)], Cifar10Classes));
        Assert.Contains("losses[0] names image 5; there are 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => TopLossesGrid.Render(images, [], Cifar10Classes));
        Assert.Contains("losses must name at least one image; got 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => TopLossesGrid.Render(images, labels[..2], new float[20], Cifar10Classes));
        Assert.Contains("labels must have one entry per image (3); got 2", e.Message);
    }
}
