using System.Net;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Explain;
using Fovea.Models;
using Fovea.Training;
using Fovea.Visualization;
using Microsoft.DotNet.Interactive.Formatting;

namespace Fovea.Interactive;

/// <summary>
/// Teaches .NET Interactive how to show Fovea's objects when a notebook cell ends with one: a model as its summary
/// table, a history as its loss and accuracy charts, images as a captioned grid, a confusion matrix as its heatmap, a
/// tensor as its shape and first values, a <see cref="Picture"/> as itself. Every object also gets a plain-text form.
/// </summary>
/// <remarks>
/// <c>#r "nuget: Fovea.Interactive, VERSION"</c> calls <see cref="Register"/> through the package's
/// <c>interactive-extensions/dotnet/extension.dib</c>; call it yourself where the assembly is referenced by path.
/// This assembly is the only one that knows the notebook runtime: the library stays free of it.
/// </remarks>
public static class Formatters
{
    /// <summary>The MIME type pictures are displayed as.</summary>
    public const string PngMimeType = "image/png";

    /// <summary>Registers the formatters and the preferred display of each type. Safe to call again (after
    /// <c>Formatter.ResetToDefault()</c>, say): later registrations replace earlier ones.</summary>
    public static void Register()
    {
        RegisterPicture<Picture>(picture => picture, picture => picture.ToString());
        RegisterPicture<History>(History, TextViews.History);
        RegisterPicture<ImageSet>(GridPictures.Indexed, TextViews.Images, count: images => images.Count);
        RegisterPicture<LabeledImages>(images => GridPictures.Labeled(images), TextViews.LabeledImages, count: images => images.Count);
        RegisterPicture<ConfusionMatrix>(Confusion, TextViews.Confusion);
        // A dataset knows its class names: its training images are shown with them.
        RegisterPicture<LabeledDataset>(data => GridPictures.Labeled(data.Train, data.ClassNames), TextViews.Dataset, count: data => data.Train.Count);
        RegisterPicture<Cifar10Dataset>(data => GridPictures.Labeled(data.Train, data.ClassNames), TextViews.Dataset, count: data => data.Train.Count);

        // What the explanations and the learning-rate finder give back, drawn as fovea draws them.
        RegisterPicture<LearningRateSweep>(sweep => new Picture(LearningRateChart.Render(sweep)), TextViews.Sweep, count: sweep => sweep.Losses.Count);
        RegisterPicture<ReliabilityDiagram>(diagram => new Picture(ReliabilityChart.Render(diagram)), TextViews.Reliability);
        RegisterPicture<GradCamResult>(HeatmapPictures.Of, TextViews.GradCam, count: cam => cam.Classes.Length);

        RegisterPreformatted<Model>(SummaryOf);
        RegisterPreformatted<Sequential>(SummaryOf);
        RegisterPreformatted<Tensor>(TextViews.Tensor);
        // Shape is a list of dimensions; shown as one, it would be a table of integers rather than "(50000, 32, 32, 3)".
        Formatter.Register<Shape>((shape, writer) => writer.Write(shape.ToString()), PlainTextFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(Shape), PlainTextFormatter.MimeType);
    }

    /// <summary>Loss and accuracy by epoch, side by side.</summary>
    internal static Picture History(History history) => Picture.Beside(Figures.Loss(history), Figures.Accuracy(history));

    internal static Picture Confusion(ConfusionMatrix matrix) =>
        new(Charts.ConfusionMatrix(matrix, Enumerable.Range(0, matrix.ClassCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()));

    /// <summary>The model's summary; an unbuilt model without an input shape says so instead of failing the cell.</summary>
    internal static string SummaryOf(Model model)
    {
        try
        {
            return model.SummaryText();
        }
        catch (Exception e) when (!model.IsBuilt && e is InvalidOperationException or ArgumentException)
        {
            return $"Model \"{model.Name}\" with {model.Layers.Count} layers, not built yet: {e.Message}";
        }
    }

    /// <summary>
    /// <paramref name="draw"/> as <c>image/png</c> (base64, as Jupyter carries it) with <paramref name="text"/> as the
    /// plain-text alternative; objects that <paramref name="count"/> says are empty show only their text.
    /// </summary>
    private static void RegisterPicture<T>(Func<T, Picture> draw, Func<T, string> text, Func<T, int>? count = null)
    {
        Formatter.Register<T>((value, writer) =>
        {
            if (count is null || count(value) > 0) writer.Write(draw(value).ToBase64());
        }, PngMimeType);
        Formatter.Register<T>((value, writer) => writer.Write(text(value)), PlainTextFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(T), PngMimeType, PlainTextFormatter.MimeType);
    }

    /// <summary>Monospaced text (a summary's columns must line up) as HTML <c>&lt;pre&gt;</c>, and as plain text.</summary>
    private static void RegisterPreformatted<T>(Func<T, string> text)
    {
        Formatter.Register<T>((value, writer) => writer.Write($"<pre>{WebUtility.HtmlEncode(text(value))}</pre>"), HtmlFormatter.MimeType);
        Formatter.Register<T>((value, writer) => writer.Write(text(value)), PlainTextFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(T), HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
    }
}
