namespace Fovea.Data;

/// <summary>
/// LeCun's handwritten digits, as Keras's <c>mnist.load_data()</c> gives them:
/// <c>var ((xTrain, yTrain), (xTest, yTest)) = Mnist.Load()</c> gives 60,000 training and 10,000 test images of shape
/// (28, 28, 1) as bytes, and labels 0-9 (the digits; <see cref="ClassNames"/> are "0" to "9").
/// </summary>
public static class Mnist
{
    /// <summary>The cache folder's name: <c>$FOVEA_HOME/datasets/mnist</c>.</summary>
    public const string FolderName = "mnist";

    /// <summary>The folder the four IDX files are downloaded from (Keras serves MNIST only as one <c>mnist.npz</c>).</summary>
    public static Uri DefaultSource => Spec.DefaultSource;

    /// <summary>The ten class names, "0" to "9", in label order.</summary>
    public static IReadOnlyList<string> ClassNames => Spec.ClassNames;

    internal static IdxDatasetSpec Spec => IdxDatasetSpec.Mnist;

    /// <summary>
    /// Reads the training and test sets from <paramref name="path"/>, a folder holding <c>train-images-idx3-ubyte</c>,
    /// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each gzipped
    /// (<c>.gz</c>, checked against its published MD5) or not. Without a path: <c>$FOVEA_HOME/datasets/mnist</c>
    /// (default <c>~/.fovea/datasets/mnist</c>), else a download into it.
    /// </summary>
    /// <inheritdoc cref="FashionMnist.Load" path="/exception"/>
    public static LabeledDataset Load(string? path = null) => IdxDatasetLoader.Load(Spec, path);

    /// <inheritdoc cref="FashionMnist.EnsureAsync"/>
    public static Task<string> EnsureAsync(IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        IdxDatasetLoader.EnsureAsync(Spec, FoveaHome.Datasets, Spec.DefaultSource, progress, ct);
}
