using Fovea.Data;
using Fovea.Interactive;
using Fovea.Layers;
using Fovea.Models;
using Fovea.Training;
using Fovea.Visualization;
using Microsoft.DotNet.Interactive.Formatting;
using SkiaSharp;

namespace Fovea.Tests.Notebooks;

/// <summary>
/// What a notebook shows for each of Fovea's objects once <see cref="Formatters.Register"/> has run: the preferred MIME
/// types and the text or picture behind each. (The formatter registry is process-wide; only this class touches it.)
/// </summary>
public class FormatterTests
{
    private static readonly string[] Names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    static FormatterTests() => Formatters.Register();

    [Fact]
    public void A_model_shows_its_summary_as_preformatted_html_and_text()
    {
        var model = TutorialModel();

        Assert.Equal(["text/html", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(Sequential)));
        string html = Formatter.ToDisplayString(model, "text/html");
        Assert.StartsWith("<pre>", html);
        Assert.Contains("Total params: 167,562", html);
        Assert.Contains("conv2d (Conv2D)", html);
        Assert.Contains("Total params: 167,562", Formatter.ToDisplayString(model, "text/plain"));
    }

    [Fact]
    public void A_model_summary_is_html_escaped()
    {
        var model = new Sequential(new Dense(2, inputShape: new Shape(3))) { Name = "a<b>&c" };
        string html = Formatter.ToDisplayString(model, "text/html");
        Assert.Contains("Model: &quot;a&lt;b&gt;&amp;c&quot;", html);
        Assert.DoesNotContain("<b>", html);
    }

    [Fact]
    public void A_model_that_cannot_be_built_says_so_instead_of_failing_the_cell()
    {
        var model = new Sequential(new Dense(2));
        string text = Formatter.ToDisplayString(model, "text/plain");
        Assert.Contains("not built yet", text);
    }

    [Fact]
    public void A_history_shows_its_loss_and_accuracy_charts_side_by_side()
    {
        var history = new History([new EpochLog(1, 1.5, 0.45, 1.3, 0.52, 6.1), new EpochLog(2, 1.2, 0.57, 1.1, 0.61, 6.0)]);

        Assert.Equal(["image/png", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(History)));
        var (width, height) = PngSize(Formatter.ToDisplayString(history, "image/png"));
        var (lossWidth, lossHeight) = PngSize(Convert.ToBase64String(Charts.Loss(history)));
        Assert.Equal(2 * lossWidth, width);
        Assert.Equal(lossHeight, height);
        string text = Formatter.ToDisplayString(history, "text/plain");
        Assert.Contains("val_accuracy", text);
        Assert.Contains("0.6100", text);
    }

    [Fact]
    public void Images_show_their_first_25_as_a_grid()
    {
        var images = Images(30);

        Assert.Equal(["image/png", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(ImageSet)));
        var (width, height) = PngSize(Formatter.ToDisplayString(images, "image/png"));
        Assert.True(width > 5 * 128 && height > 5 * 128, $"a 5x5 grid of 128-pixel cells; got {width}x{height}");
        Assert.Equal("ImageSet (30, 32, 32, 3): 30 images of 32x32 pixels, 3 channels", Formatter.ToDisplayString(images, "text/plain"));
        PngSize(Formatter.ToDisplayString(new LabeledImages(images, Enumerable.Range(0, 30).Select(i => i % 10).ToArray()), "image/png"));
    }

    [Fact]
    public void An_empty_image_set_shows_only_its_text()
    {
        var empty = new ImageSet([], 0, 32, 32, 3);
        Assert.Equal("", Formatter.ToDisplayString(empty, "image/png"));
        Assert.StartsWith("ImageSet (0, 32, 32, 3)", Formatter.ToDisplayString(empty, "text/plain"));
    }

    [Fact]
    public void A_dataset_shows_its_training_images_with_class_names_and_its_shapes()
    {
        var images = Images(12);
        int[] labels = Enumerable.Range(0, 12).Select(i => i % 10).ToArray();
        var data = new Cifar10Dataset(new LabeledImages(images, labels), new LabeledImages(images.Take(4), labels[..4]), Names);

        PngSize(Formatter.ToDisplayString(data, "image/png"));
        Assert.Equal("train (12, 32, 32, 3), test (4, 32, 32, 3), 10 classes: " + string.Join(", ", Names), Formatter.ToDisplayString(data, "text/plain"));
    }

    [Fact]
    public void A_confusion_matrix_shows_its_heatmap_and_its_counts()
    {
        var matrix = new ConfusionMatrix(new[,] { { 5, 1 }, { 2, 7 } });
        PngSize(Formatter.ToDisplayString(matrix, "image/png"));
        string text = Formatter.ToDisplayString(matrix, "text/plain");
        Assert.Contains("accuracy 0.8000", text);
        Assert.Contains("   5   1\n   2   7\n", text);
    }

    [Fact]
    public void A_tensor_shows_its_shape_and_first_rows()
    {
        var tensor = new Tensor(new Shape(7, 10), Enumerable.Range(0, 70).Select(i => i / 4f).ToArray());

        Assert.Equal(["text/html", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(Tensor)));
        string text = Formatter.ToDisplayString(tensor, "text/plain");
        string[] lines = text.Split('\n');
        Assert.Equal("Tensor (7, 10)", lines[0]);
        Assert.Equal("[[0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, ...],", lines[1]);
        Assert.Equal(" [2.5, 2.75, 3, 3.25, 3.5, 3.75, 4, 4.25, ...],", lines[2]);
        Assert.Equal(" ... (2 more rows)]", lines[^1]);
        Assert.Equal(7, lines.Length);
        Assert.Equal("<pre>" + text + "</pre>", Formatter.ToDisplayString(tensor, "text/html"));
        Assert.Equal("Tensor (3,)\n[1, 2, 3]", Formatter.ToDisplayString(new Tensor(new Shape(3), [1, 2, 3]), "text/plain"));
    }

    [Fact]
    public void A_shape_shows_as_numpy_prints_it()
    {
        Assert.Equal(["text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(Shape)));
        Assert.Equal("(50000, 32, 32, 3)", Formatter.ToDisplayString(new Shape(50000, 32, 32, 3), "text/plain"));
    }

    [Fact]
    public void A_picture_shows_its_png_and_refuses_other_bytes()
    {
        byte[] png = Charts.Loss(new History([new EpochLog(1, 1.5, 0.45, 1.3, 0.52, 6.1)]));
        var picture = new Picture(png);

        Assert.Equal(Convert.ToBase64String(png), Formatter.ToDisplayString(picture, "image/png"));
        Assert.Equal(PngSize(Convert.ToBase64String(png)), (picture.Width, picture.Height));
        var error = Assert.Throws<ArgumentException>(() => new Picture([1, 2, 3]));
        Assert.Equal("png", error.ParamName);
        Assert.Contains("got 3 bytes", error.Message);
    }

    [Fact]
    public void Pictures_side_by_side_are_as_wide_as_both_and_as_tall_as_the_taller()
    {
        var history = new History([new EpochLog(1, 1.5, 0.45, 1.3, 0.52, 6.1)]);
        var chart = Figures.Loss(history);
        var grid = new Picture(ImageGrid.Samples(Images(4), [0, 1, 2, 3], Names, count: 4));

        var both = Picture.Beside(chart, grid);
        Assert.Equal((chart.Width + grid.Width, Math.Max(chart.Height, grid.Height)), (both.Width, both.Height));
    }

    [Fact]
    public void A_learning_rate_sweep_shows_its_curve_and_its_suggestion()
    {
        double[] rates = Enumerable.Range(0, 40).Select(i => 1e-7 * Math.Pow(1e8, i / 39.0)).ToArray();
        double[] losses = rates.Select((_, i) => 2.3 - 0.02 * Math.Max(0, i - 10) + (i > 30 ? 0.2 * (i - 30) : 0)).ToArray();
        var (suggestion, index) = LearningRateFinder.Valley(rates, losses, 40);
        var sweep = new LearningRateSweep(rates, losses, losses, suggestion, index, LearningRateFinder.Steepest(rates, losses, 40), Diverged: false);

        Assert.Equal(["image/png", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(LearningRateSweep)));
        Assert.Equal((LearningRateChart.Width, LearningRateChart.Height), PngSize(Formatter.ToDisplayString(sweep, "image/png")));
        Assert.Contains("LearningRateSweep: 40 steps, 1.0e-7 to 1.0e1", Formatter.ToDisplayString(sweep, "text/plain"));
        Assert.Contains("suggestion (valley) " + LearningRateChart.Rate(suggestion), Formatter.ToDisplayString(sweep, "text/plain"));
    }

    [Fact]
    public void A_reliability_diagram_shows_its_chart_and_its_calibration_error()
    {
        var probabilities = new Tensor(new Shape(4, 2), [0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.6f, 0.4f]);
        var diagram = Fovea.Evaluation.Calibration.Reliability(probabilities, [0, 1, 1, 0]);

        Assert.Equal(["image/png", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(Fovea.Evaluation.ReliabilityDiagram)));
        Assert.Equal(PngSize(Convert.ToBase64String(ReliabilityChart.Render(diagram))), PngSize(Formatter.ToDisplayString(diagram, "image/png")));
        Assert.StartsWith("ReliabilityDiagram: 4 images in 15 bins, ECE ", Formatter.ToDisplayString(diagram, "text/plain"));
    }

    [Fact]
    public void Grad_cam_maps_show_as_heatmaps_and_beside_their_pictures()
    {
        var model = TutorialModel();
        var images = Images(2);
        var cam = Fovea.Explain.GradCam.Compute(model, images);

        Assert.Equal(["image/png", "text/plain"], Formatter.GetPreferredMimeTypesFor(typeof(Fovea.Explain.GradCamResult)));
        // Two 32x32 maps enlarged 3x (to at least 96 pixels), 8 pixels apart.
        Assert.Equal((2 * 96 + 8, 96), PngSize(Formatter.ToDisplayString(cam, "image/png")));
        Assert.Contains("GradCamResult: 2 maps of 6x6 at 'max_pooling2d_1'", Formatter.ToDisplayString(cam, "text/plain"));

        var picture = Figures.GradCam(images, cam, Names);
        var (width, height) = PngSize(picture.ToBase64());
        Assert.True(width > 400 && height > 2 * 192, $"{width}x{height}");
    }

    private static Sequential TutorialModel() => new(
        new Conv2D(filters: 32, kernelSize: (3, 3), activation: Activation.Relu, inputShape: (32, 32, 3)),
        new MaxPool2D(poolSize: (2, 2)),
        new Conv2D(filters: 64, kernelSize: (3, 3), activation: Activation.Relu),
        new MaxPool2D(poolSize: (2, 2)),
        new Flatten(),
        new Dense(64, activation: Activation.Relu),
        new Dense(10, activation: Activation.Softmax));

    private static ImageSet Images(int count)
    {
        var pixels = new byte[count * 32 * 32 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        return new ImageSet(pixels, count, 32, 32, 3);
    }

    /// <summary>Decodes base64 as Jupyter would and checks it is a PNG; returns its size.</summary>
    internal static (int Width, int Height) PngSize(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        return (codec.Info.Width, codec.Info.Height);
    }
}
