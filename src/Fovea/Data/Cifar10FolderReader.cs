using System.Text;

namespace Fovea.Data;

/// <summary>Loads an extracted <c>cifar-10-batches-bin</c> folder. File sizes are known up front, so the arrays are allocated once, exactly.</summary>
internal static class Cifar10FolderReader
{
    public static Cifar10Dataset Read(string folder, int? trainLimit)
    {
        string[] missing = Cifar10Format.AllFileNames.Where(name => !File.Exists(Path.Combine(folder, name))).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataFileException($"CIFAR-10 folder {folder} lacks {string.Join(", ", missing)}");

        string[] batchPaths = Cifar10Format.DataBatchNames.Select(name => Path.Combine(folder, name)).ToArray();
        int[] counts = batchPaths.Select(path => Cifar10Format.RecordCount(path, Length(path))).ToArray();
        var layout = new Cifar10TrainLayout(counts, trainLimit, folder);
        (byte[] pixels, int[] labels) = layout.Allocate();
        for (int k = 0; k < batchPaths.Length; k++)
        {
            int take = layout.Take(k);
            if (take == 0) break; // the limit falls before this batch, so it and all later ones are not needed
            ReadBatch(batchPaths[k], take, pixels, labels, layout.Offset(k));
        }
        var train = new LabeledImages(new ImageSet(pixels, layout.Images, Cifar10Format.Height, Cifar10Format.Width, Cifar10Format.Channels), labels);

        string testPath = Path.Combine(folder, Cifar10Format.TestBatchName);
        int testCount = Cifar10Format.RecordCount(testPath, Length(testPath));
        byte[] testPixels = GC.AllocateUninitializedArray<byte>(testCount * Cifar10Format.ImageSize);
        int[] testLabels = new int[testCount];
        ReadBatch(testPath, testCount, testPixels, testLabels, 0);
        var test = new LabeledImages(new ImageSet(testPixels, testCount, Cifar10Format.Height, Cifar10Format.Width, Cifar10Format.Channels), testLabels);

        return new Cifar10Dataset(train, test, ReadClassNames(Path.Combine(folder, Cifar10Format.ClassNamesName)));
    }

    private static long Length(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(path, ex);
        }
    }

    private static void ReadBatch(string path, int count, byte[] pixels, int[] labels, int imageOffset)
    {
        try
        {
            // bufferSize 0: ReadRecords reads 786 KB at a time, a FileStream buffer would only add a copy.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            Cifar10Format.ReadRecords(stream, path, stream.Length, count, pixels, labels, imageOffset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(path, ex);
        }
    }

    private static string[] ReadClassNames(string path)
    {
        try
        {
            Cifar10Format.CheckClassNamesLength(path, new FileInfo(path).Length);
            return Cifar10Format.ParseClassNames(File.ReadAllText(path, Encoding.UTF8), path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(path, ex);
        }
    }

    private static InvalidDataFileException CannotRead(string path, Exception ex) =>
        new($"cannot read {path}: {Cifar10Format.OneLine(ex.Message)}", ex);
}
