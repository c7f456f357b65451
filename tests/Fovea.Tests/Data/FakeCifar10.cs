using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Fovea.Tests.Data;

/// <summary>
/// A CIFAR-10 look-alike in the official binary format, a few records per batch, written as a
/// <c>cifar-10-batches-bin</c> folder or as a <c>.tar.gz</c>. Every label and pixel follows a formula of
/// (batch, record, channel, y, x), so a test can compute the expected HWC images without the loader's code.
/// </summary>
internal sealed class FakeCifar10
{
    public const int RecordSize = 3073;
    public const int TestBatch = 5; // batch index used for test_batch.bin in the formulas

    public static readonly string[] OfficialClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The order of the official archive's entries (it is not sorted).</summary>
    public static readonly string[] OfficialEntryOrder =
        ["data_batch_4.bin", "data_batch_5.bin", "data_batch_2.bin", "batches.meta.txt", "data_batch_1.bin", "readme.html", "data_batch_3.bin", "test_batch.bin"];

    public int[] TrainCounts { get; init; } = [3, 3, 3, 3, 3];
    public int TestCount { get; init; } = 4;

    /// <summary>Files by name that replace the generated ones (bad data), and names to leave out.</summary>
    public Dictionary<string, byte[]> Replace { get; } = [];
    public HashSet<string> Omit { get; } = [];

    /// <summary>Names written a second time at the end of an archive.</summary>
    public List<string> Extra { get; } = [];

    public static byte Label(int batch, int record) => (byte)((batch * 3 + record * 7) % 10);

    public static byte Pixel(int batch, int record, int channel, int y, int x) => (byte)(batch * 11 + record * 29 + channel * 100 + y * 7 + x * 3);

    public int TrainTotal => TrainCounts.Sum();

    /// <summary>A batch file: per record, the label then the R, G and B planes, row-major.</summary>
    public static byte[] BatchBytes(int batch, int count)
    {
        byte[] bytes = new byte[count * RecordSize];
        for (int r = 0; r < count; r++)
        {
            int at = r * RecordSize;
            bytes[at++] = Label(batch, r);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        bytes[at++] = Pixel(batch, r, c, y, x);
        }
        return bytes;
    }

    public byte[] FileBytes(string name) => Replace.TryGetValue(name, out byte[]? replaced) ? replaced : name switch
    {
        "test_batch.bin" => BatchBytes(TestBatch, TestCount),
        "batches.meta.txt" => Encoding.ASCII.GetBytes(string.Join("\n", OfficialClassNames) + "\n\n"),
        "readme.html" => Encoding.ASCII.GetBytes("<meta HTTP-EQUIV=\"REFRESH\" content=\"0; url=https://www.cs.toronto.edu/~kriz/cifar.html\">"),
        _ => DataBatchBytes(int.Parse(name["data_batch_".Length..^".bin".Length]) - 1),
    };

    private byte[] DataBatchBytes(int batch) => BatchBytes(batch, TrainCounts[batch]);

    /// <summary>Writes <c>parent/cifar-10-batches-bin/</c> and returns its path.</summary>
    public string WriteFolder(string parent)
    {
        string folder = Path.Combine(parent, "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        foreach (string name in OfficialEntryOrder.Where(n => !Omit.Contains(n)))
            File.WriteAllBytes(Path.Combine(folder, name), FileBytes(name));
        return folder;
    }

    /// <summary>The .tar.gz bytes, entries under <c>cifar-10-batches-bin/</c> in the official order.</summary>
    public byte[] ArchiveBytes(CompressionLevel level = CompressionLevel.Fastest)
    {
        var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, level, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu))
        {
            tar.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "cifar-10-batches-bin/"));
            foreach (string name in OfficialEntryOrder.Where(n => !Omit.Contains(n)).Concat(Extra))
                tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/" + name) { DataStream = new MemoryStream(FileBytes(name)) });
        }
        return archive.ToArray();
    }

    public string WriteArchive(string path)
    {
        File.WriteAllBytes(path, ArchiveBytes());
        return path;
    }

    /// <summary>The first <paramref name="limit"/> training images, NHWC, computed from the formula.</summary>
    public (byte[] Pixels, int[] Labels) ExpectedTrain(int? limit = null)
    {
        var images = Enumerable.Range(0, 5).SelectMany(b => Enumerable.Range(0, TrainCounts[b]).Select(r => (b, r)));
        return Expected(images.Take(limit ?? int.MaxValue).ToArray());
    }

    public (byte[] Pixels, int[] Labels) ExpectedTest() => Expected(Enumerable.Range(0, TestCount).Select(r => (TestBatch, r)).ToArray());

    private static (byte[] Pixels, int[] Labels) Expected((int Batch, int Record)[] images)
    {
        byte[] pixels = new byte[images.Length * 3072];
        for (int i = 0; i < images.Length; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    for (int c = 0; c < 3; c++)
                        pixels[i * 3072 + (y * 32 + x) * 3 + c] = Pixel(images[i].Batch, images[i].Record, c, y, x);
        return (pixels, images.Select(im => (int)Label(im.Batch, im.Record)).ToArray());
    }
}
