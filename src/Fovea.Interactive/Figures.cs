using Fovea.Data;
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
}
