namespace Fovea.Data;

/// <summary>
/// Zalando's Fashion-MNIST, as Keras's <c>fashion_mnist.load_data()</c> gives it:
/// <c>var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.Load()</c> gives 60,000 training and 10,000 test images of
/// shape (28, 28, 1) as bytes, and labels 0-9 indexing <see cref="ClassNames"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>The cache folder's name: <c>$FOVEA_HOME/datasets/fashion-mnist</c>.</summary>
    public const string FolderName = "fashion-mnist";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four published .gz files.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The folder Keras downloads the four files from.</summary>
    public static Uri DefaultSource => Spec.DefaultSource;

    /// <summary>The ten class names, "T-shirt/top" to "Ankle boot", in label order.</summary>
    public static IReadOnlyList<string> ClassNames => Spec.ClassNames;

    internal static IdxDatasetSpec Spec => IdxDatasetSpec.FashionMnist;

    /// <summary>
    /// Reads the training and test sets from <paramref name="path"/>, a folder holding <c>train-images-idx3-ubyte</c>,
    /// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each gzipped
    /// (<c>.gz</c>, checked against its published MD5) or not. Without a path: <c>$FOVEA_HOME/datasets/fashion-mnist</c>
    /// (default <c>~/.fovea/datasets/fashion-mnist</c>), then <see cref="DebianFolder"/>, else a download into the former.
    /// </summary>
    /// <exception cref="InvalidDataFileException">A file is missing, truncated, malformed or not the published one; the message names it.</exception>
    /// <exception cref="FoveaException">No local copy, and the download failed.</exception>
    public static LabeledDataset Load(string? path = null) => IdxDatasetLoader.Load(Spec, path);

    /// <summary>The folder <see cref="Load"/> would read without a path, downloading the files into the cache if no local
    /// copy is complete; progress counts the bytes of all four files.</summary>
    public static Task<string> EnsureAsync(IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        IdxDatasetLoader.EnsureAsync(Spec, FoveaHome.Datasets, Spec.DefaultSource, progress, ct);
}
