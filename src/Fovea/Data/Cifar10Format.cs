using System.Buffers;
using Fovea.IO;

namespace Fovea.Data;

/// <summary>
/// The CIFAR-10 binary format: batch files of 3,073-byte records (1 label byte, then the 1024 R, 1024 G and 1024 B
/// bytes of a 32x32 image, each plane row-major) and a text file of class names. Decoding turns the planes (CHW) into
/// Keras's interleaved HWC layout and checks every label.
/// </summary>
internal static class Cifar10Format
{
    public const int Height = 32, Width = 32, Channels = 3, ClassCount = 10;
    public const int PlaneSize = Height * Width;           // 1,024
    public const int ImageSize = PlaneSize * Channels;     // 3,072
    public const int RecordSize = 1 + ImageSize;           // 3,073

    /// <summary>The official batches hold 30,730,000 bytes; past 1 GiB a file is not a CIFAR batch, and refusing it keeps
    /// every per-file array well inside <see cref="Array.MaxLength"/>.</summary>
    public const long MaxBatchBytes = 1L << 30;

    /// <summary>The official file is 61 bytes; the cap only stops a bogus entry from being read into memory.</summary>
    public const long MaxClassNamesBytes = 64 * 1024;

    public const string TestBatchName = "test_batch.bin";
    public const string ClassNamesName = "batches.meta.txt";
    public static readonly string[] DataBatchNames = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>Every file a complete dataset holds, in the order the loader wants them.</summary>
    public static IEnumerable<string> AllFileNames => [.. DataBatchNames, TestBatchName, ClassNamesName];

    /// <summary>Index 0-4 of a <c>data_batch_N.bin</c> name, or -1.</summary>
    public static int DataBatchIndex(string fileName) => Array.IndexOf(DataBatchNames, fileName);

    /// <summary>How many records a batch file of <paramref name="length"/> bytes holds; throws unless it is a whole, sane number.</summary>
    public static int RecordCount(string file, long length)
    {
        if (length == 0)
            throw new InvalidDataFileException($"{file}: file is empty; a CIFAR-10 batch holds {RecordSize}-byte records");
        if (length > MaxBatchBytes)
            throw new InvalidDataFileException($"{file}: size {length} bytes is too large for a CIFAR-10 batch (at most {MaxBatchBytes} bytes accepted)");
        long partial = length % RecordSize;
        if (partial != 0)
        {
            long offset = length - partial;
            throw new InvalidDataFileException(
                $"{file}: size {length} bytes is not a multiple of the {RecordSize}-byte record; the record at byte offset {offset} is truncated ({partial} of {RecordSize} bytes)");
        }
        return (int)(length / RecordSize);
    }

    /// <summary>
    /// Reads the first <paramref name="count"/> records of a batch from <paramref name="source"/> straight into their final
    /// place: images <c>[imageOffset, imageOffset + count)</c> of <paramref name="pixels"/> (NHWC) and <paramref name="labels"/>.
    /// </summary>
    public static void ReadRecords(Stream source, string file, long fileLength, int count, byte[] pixels, int[] labels, int imageOffset)
    {
        // 256 records (786 KB) per read: few enough calls that their cost vanishes, small enough to stay in cache
        // while being decoded; the pooled buffer is the only memory used besides the final arrays.
        const int ChunkRecords = 256;
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkRecords * RecordSize);
        try
        {
            for (int done = 0; done < count;)
            {
                int n = Math.Min(ChunkRecords, count - done);
                int want = n * RecordSize;
                int got = source.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (got < want)
                {
                    long end = (long)done * RecordSize + got;
                    throw new InvalidDataFileException(
                        $"{file}: data ends at byte offset {end}, inside record {end / RecordSize}; expected {fileLength} bytes (the file is truncated)");
                }
                DecodeRecords(chunk.AsSpan(0, want), pixels.AsSpan((imageOffset + done) * ImageSize, n * ImageSize),
                              labels.AsSpan(imageOffset + done, n), file, done);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Decodes whole records; <paramref name="firstRecord"/> is the index of the first one in its file, for messages.</summary>
    public static void DecodeRecords(ReadOnlySpan<byte> records, Span<byte> pixels /* [n, 32, 32, 3] */, Span<int> labels, string file, int firstRecord)
    {
        for (int r = 0; r < labels.Length; r++)
        {
            ReadOnlySpan<byte> record = records.Slice(r * RecordSize, RecordSize);
            byte label = record[0];
            if (label >= ClassCount)
            {
                long index = (long)firstRecord + r;
                throw new InvalidDataFileException(
                    $"{file}: record {index} at byte offset {index * RecordSize} has label {label}; CIFAR-10 labels are 0-{ClassCount - 1}");
            }
            labels[r] = label;
            ChwToHwc(pixels.Slice(r * ImageSize, ImageSize), record[1..]);
        }
    }

    /// <summary>Interleaves the R, G and B planes of one image into pixels of 3 bytes.</summary>
    // A plain loop: at ~180 MB for the whole set it costs a fraction of the gzip inflate that feeds it.
    public static void ChwToHwc(Span<byte> hwc /* [32, 32, 3] */, ReadOnlySpan<byte> chw /* [3, 32, 32] */)
    {
        ReadOnlySpan<byte> red = chw[..PlaneSize], green = chw.Slice(PlaneSize, PlaneSize), blue = chw.Slice(2 * PlaneSize, PlaneSize);
        hwc = hwc[..ImageSize];
        for (int p = 0; p < PlaneSize; p++)
        {
            hwc[3 * p] = red[p];
            hwc[3 * p + 1] = green[p];
            hwc[3 * p + 2] = blue[p];
        }
    }

    /// <summary>Class names, one per line; blank lines (the official file ends with one) are ignored.</summary>
    public static string[] ParseClassNames(string text, string file)
    {
        string[] names = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length != ClassCount)
            throw new InvalidDataFileException($"{file}: expected {ClassCount} class names, one per line; got {names.Length}");
        return names;
    }

    /// <summary>Checks the size of a class-name file before it is read whole.</summary>
    public static void CheckClassNamesLength(string file, long length)
    {
        if (length > MaxClassNamesBytes)
            throw new InvalidDataFileException($"{file}: size {length} bytes is too large for a list of class names (at most {MaxClassNamesBytes} bytes accepted)");
    }

    /// <summary>Collapses an inner exception's message to one line of bounded length for a user-facing error.</summary>
    public static string OneLine(string message) => SafeTensorsText.OneLine(message);

    /// <summary>A tar entry's name as message text: from a corrupt header it may hold line breaks or run to kilobytes.</summary>
    public static string EntryName(string name) => SafeTensorsText.Escape(name, 100);
}
