using Fovea.Data;
using Fovea.Evaluation;
using Fovea.Explain;
using Fovea.Training;
using Fovea.Visualization;

namespace Fovea.Interactive;

/// <summary>
/// The tutorial's figures as <see cref="Picture"/>s, so that a notebook cell ending with one shows it inline:
/// Fovea.Visualization draws them (the same pictures as <c>fovea train</c>'s run folder), this only wraps the PNGs.
/// </summary>
public static class Figures
{
    /// <summary><paramref name="count"/> random images (reproducible from <paramref name="seed"/>) with their class names.</summary>
    public static Picture Samples(LabeledImages images, IReadOnlyList<string> classNames, int count = ImageGrid.DefaultCount, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new(ImageGrid.Samples(images, classNames, count, seed));
    }

    /// <summary>
    /// The first <paramref name="count"/> images titled with the predicted class, its probability and the true class,
    /// green when right and red when wrong. <paramref name="probabilities"/> is <c>model.Predict(images.Images)</c>.
    /// </summary>
    public static Picture Predictions(LabeledImages images, Tensor probabilities, IReadOnlyList<string> classNames, int count = ImageGrid.DefaultCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(probabilities);
        return new(ImageGrid.Predictions(images.Images, images.Labels, probabilities.Data, classNames, count));
    }

    /// <summary>Training and validation loss by epoch.</summary>
    public static Picture Loss(History history) => new(Charts.Loss(history));

    /// <summary>Training and validation accuracy by epoch.</summary>
    public static Picture Accuracy(History history) => new(Charts.Accuracy(history));

    /// <summary>The confusion matrix of <paramref name="probabilities"/>' most probable classes against the true labels.</summary>
    public static Picture Confusion(LabeledImages images, Tensor probabilities, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(classNames);
        return new(Charts.ConfusionMatrix(ConfusionMatrix.FromProbabilities(images.Labels, probabilities.Data, classNames.Count), classNames));
    }

    /// <summary>
    /// The <paramref name="count"/> images of highest loss under <paramref name="probabilities"/>
    /// (<c>model.Predict(images.Images)</c>), as fast.ai's <c>plot_top_losses</c>: predicted and true class, loss.
    /// </summary>
    public static Picture TopLosses(LabeledImages images, Tensor probabilities, IReadOnlyList<string> classNames, int count = TopLossesGrid.DefaultCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(probabilities);
        return new(TopLossesGrid.Render(images.Images, images.Labels, probabilities.Data, classNames, count));
    }

    /// <summary>The reliability diagram (15 bins) of <paramref name="probabilities"/> against the true labels, with its calibration error.</summary>
    public static Picture Reliability(LabeledImages images, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(probabilities);
        return new(ReliabilityChart.Render(Calibration.Reliability(probabilities, images.Labels)));
    }

    /// <summary>The learning-rate finder's curve with its suggestion marked.</summary>
    public static Picture LearningRate(LearningRateSweep sweep) => new(LearningRateChart.Render(sweep));

    /// <summary>
    /// Each picture of <paramref name="images"/> with its Grad-CAM heatmap <paramref name="cam"/>
    /// (<c>GradCam.Compute(model, images)</c>) laid over it and its top classes, one under another, as
    /// <c>fovea explain</c> draws them.
    /// </summary>
    public static Picture GradCam(ImageSet images, GradCamResult cam, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(cam);
        ArgumentNullException.ThrowIfNull(classNames);
        if (cam.Classes.Length != images.Count)
            throw new ArgumentException($"cam must explain the {images.Count} images; it explains {cam.Classes.Length}", nameof(cam));
        int height = images.Height, width = images.Width, size = height * width, classes = classNames.Count;
        var rows = new Picture[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            float[] p = cam.Probabilities.Data.AsSpan(i * classes, classes).ToArray();
            var top = Enumerable.Range(0, classes).OrderByDescending(c => p[c]).ThenBy(c => c).Take(3).Select(c => (classNames[c], p[c])).ToArray();
            string title = $"#{i}: Grad-CAM of '{classNames[cam.Classes[i]]}' at {cam.Layer}";
            rows[i] = new(GradCamPicture.Draw(images[i], height, width, images.Channels, cam.Upsampled.Data.AsSpan(i * size, size), title, top));
        }
        return Picture.Below(rows);
    }
}
