namespace Fovea.Data;

/// <summary>
/// Loads CIFAR-10 from the official binary version, as Keras's <c>cifar10.load_data()</c> does:
/// <c>var ((xTrain, yTrain), (xTest, yTest)) = Cifar10.Load(path)</c> gives images of shape (N, 32, 32, 3) as bytes
/// and labels 0-9. Get the archive with <see cref="Cifar10Download.EnsureAsync(Uri?, IProgress{DownloadProgress}?, CancellationToken)"/>.
/// </summary>
public static class Cifar10
{
    /// <summary>The official archive's name, <c>cifar-10-binary.tar.gz</c>.</summary>
    public const string ArchiveFileName = "cifar-10-binary.tar.gz";

    /// <summary>The folder the archive extracts to, <c>cifar-10-batches-bin</c>.</summary>
    public const string FolderName = "cifar-10-batches-bin";

    /// <summary>
    /// Reads the training and test sets and the class names from <paramref name="path"/>: the <c>.tar.gz</c> archive
    /// (streamed, not unpacked), an extracted <c>cifar-10-batches-bin</c> folder, or the folder holding either.
    /// </summary>
    /// <param name="trainLimit">Keep only the first N training images (batches 1..5 in order); the test set is always whole.</param>
    /// <param name="path">The archive, the extracted folder, or the folder holding either.</param>
    /// <exception cref="InvalidDataFileException">The path does not exist, or a file is missing, truncated or malformed; the message names it.</exception>
    public static Cifar10Dataset Load(string path, int? trainLimit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (trainLimit < 0) throw new ArgumentOutOfRangeException(nameof(trainLimit), $"trainLimit must be non-negative; got {trainLimit}");

        if (File.Exists(path)) return Cifar10ArchiveReader.Read(path, trainLimit);
        if (!Directory.Exists(path))
            throw new InvalidDataFileException($"CIFAR-10 data not found: {path} does not exist (pass a {ArchiveFileName} or a {FolderName} folder)");

        // The path may be the batches folder itself or one that holds it (or the archive): a download cache, say.
        if (Cifar10Format.AllFileNames.Any(name => File.Exists(Path.Combine(path, name))))
            return Cifar10FolderReader.Read(path, trainLimit);
        string folder = Path.Combine(path, FolderName);
        if (Directory.Exists(folder)) return Cifar10FolderReader.Read(folder, trainLimit);
        string archive = Path.Combine(path, ArchiveFileName);
        if (File.Exists(archive)) return Cifar10ArchiveReader.Read(archive, trainLimit);

        throw new InvalidDataFileException(
            $"no CIFAR-10 data in {path}: looked for data_batch_1..5.bin, test_batch.bin and batches.meta.txt there, in {folder} and for {archive}");
    }
}
