namespace Fovea.Data;

/// <summary>One published file of an IDX dataset: its <c>.gz</c> name, size and MD5 as published, and where known the
/// MD5 of its inflated content, which still identifies a copy that was recompressed (Debian's strips gzip's file name).</summary>
internal sealed record IdxFileSpec(string GzName, long PublishedSize, string PublishedMd5, string? InflatedMd5 = null)
{
    /// <summary>The name once unpacked: <c>train-images-idx3-ubyte</c>.</summary>
    public string PlainName => GzName[..^".gz".Length];
}

/// <summary>
/// An MNIST-style dataset: four IDX files (training and test images and labels), fixed image size, class names, the
/// cache folder name and the system folders a package installs it to, and the server folder to download from.
/// </summary>
internal sealed record IdxDatasetSpec(
    string Title, string FolderName, int Height, int Width, IReadOnlyList<string> ClassNames,
    IdxFileSpec TrainImages, IdxFileSpec TrainLabels, IdxFileSpec TestImages, IdxFileSpec TestLabels,
    Uri DefaultSource, IReadOnlyList<string> SystemFolders)
{
    public IdxFileSpec[] Files => [TrainImages, TrainLabels, TestImages, TestLabels];

    public long PublishedSize => Files.Sum(f => f.PublishedSize);

    /// <summary>"train-images-idx3-ubyte(.gz), …": what a folder must hold, for messages.</summary>
    public string FileList => string.Join(", ", Files.Select(f => $"{f.PlainName}(.gz)"));

    public static IdxDatasetSpec FashionMnist { get; } = new(
        "Fashion-MNIST", "fashion-mnist", 28, 28,
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        // The published MD5s are those of the dataset's own repository (and Keras's); the inflated ones were taken from
        // Debian's dataset-fashion-mnist 0.0~git20200523, whose .gz files differ from the published ones only by the
        // gzip header's file name field (each is shorter by exactly that name and its NUL).
        new("train-images-idx3-ubyte.gz", 26_421_880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        new("train-labels-idx1-ubyte.gz", 29_515, "25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        new("t10k-images-idx3-ubyte.gz", 4_422_102, "bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
        new("t10k-labels-idx1-ubyte.gz", 5_148, "bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
        new("https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
        ["/usr/share/datasets/fashion-mnist"]);

    public static IdxDatasetSpec Mnist { get; } = new(
        "MNIST", "mnist", 28, 28,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        new("train-images-idx3-ubyte.gz", 9_912_422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        new("train-labels-idx1-ubyte.gz", 28_881, "d53e105ee54ea40749a09fcbcd1e9432"),
        new("t10k-images-idx3-ubyte.gz", 1_648_877, "9fb629c4189551a2d022fa330f9573f3"),
        new("t10k-labels-idx1-ubyte.gz", 4_542, "ec29112dd5afa0611ce80d1b7f02629c"),
        // Keras itself serves MNIST as one mnist.npz; this mirror serves LeCun's four IDX files.
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        []);
}
