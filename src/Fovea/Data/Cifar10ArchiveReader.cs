using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Fovea.Data;

/// <summary>
/// Loads <c>cifar-10-binary.tar.gz</c> in one streamed pass (TarReader over GZipStream, nothing unpacked to disk).
/// The archive yields the batches out of order (the official one: 4, 5, 2, 1, 3), and a tar entry's size is only known
/// when it is reached, so the training array is laid out on a guess: every batch holds as many records as the first one
/// seen, as the official five (10,000 each) do. Records then go straight to their final place. Batches of differing sizes
/// break the guess; the pass then only measures, and a second pass reads with the sizes known.
/// </summary>
internal sealed class Cifar10ArchiveReader
{
    private readonly Func<Stream> _open;
    private readonly string _archive;
    private readonly int? _trainLimit;
    private readonly int[]? _knownCounts;

    /// <summary>Deflate's largest expansion (zlib's figure): 258 bytes from one 2-bit code.</summary>
    private const long MaxDeflateRatio = 1032;

    private readonly int[] _counts = [-1, -1, -1, -1, -1]; // records per data batch, -1 until its entry is seen
    private long _inflatedLimit = long.MaxValue; // most bytes the open archive can inflate to
    private Cifar10TrainLayout? _layout;
    private bool _layoutBroken;
    private byte[]? _trainPixels;
    private int[]? _trainLabels;
    private LabeledImages? _test;
    private string[]? _classNames;
    private string? _currentEntry;

    private Cifar10ArchiveReader(Func<Stream> open, string archive, int? trainLimit, int[]? knownCounts)
    {
        _open = open;
        _archive = archive;
        _trainLimit = trainLimit;
        _knownCounts = knownCounts;
    }

    public static Cifar10Dataset Read(string archive, int? trainLimit) =>
        Read(() => new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan), archive, trainLimit);

    /// <summary>
    /// Reads the archive that <paramref name="open"/> returns (a seekable stream, opened once per pass); messages name
    /// <paramref name="archive"/>. The fuzz tests read from memory through this.
    /// </summary>
    internal static Cifar10Dataset Read(Func<Stream> open, string archive, int? trainLimit)
    {
        var guessed = new Cifar10ArchiveReader(open, archive, trainLimit, knownCounts: null);
        guessed.ReadEntries();
        guessed.ThrowIfIncomplete();
        if (!guessed._layoutBroken) return guessed.Result();

        var measured = new Cifar10ArchiveReader(open, archive, trainLimit, guessed._counts);
        measured.ReadEntries();
        measured.ThrowIfIncomplete();
        if (measured._layoutBroken)
            throw new InvalidDataFileException($"{archive}: batch sizes changed between two reads; the archive is being modified");
        return measured.Result();
    }

    private void ReadEntries()
    {
        try
        {
            using var file = _open();
            RequireGzipSignature(file);
            _inflatedLimit = file.Length <= long.MaxValue / MaxDeflateRatio ? file.Length * MaxDeflateRatio : long.MaxValue;
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(new TarMetadataGuard(gzip));
            while (NextEntry(tar) is { } entry)
            {
                _currentEntry = Cifar10Format.EntryName(entry.Name);
                ReadEntry(entry);
                _currentEntry = null;
            }
            // Read past the tar end marker to the gzip trailer, so that its CRC is checked: a flipped bit that still
            // inflates would otherwise pass unnoticed. Only padding is left, so this costs nothing.
            gzip.CopyTo(Stream.Null);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Corrupt gzip, a bad tar header, or an archive cut short. GZipStream words every inflate failure as
            // "unsupported compression method", which misleads; say what it means instead.
            string where = _currentEntry is null ? "" : $" (in entry {_currentEntry})";
            string reason = ex is InvalidDataException && ex.TargetSite?.DeclaringType?.Namespace == typeof(GZipStream).Namespace
                ? "the compressed data is corrupt (bad deflate data or gzip checksum)"
                : Cifar10Format.OneLine(ex.Message);
            throw new InvalidDataFileException($"{_archive} is not a valid .tar.gz archive{where}: {reason}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataFileException($"cannot read {_archive}: {Cifar10Format.OneLine(ex.Message)}", ex);
        }
    }

    /// <remarks>
    /// TarReader documents InvalidDataException for a malformed header, but fuzzed headers also get FormatException,
    /// OverflowException (a base-256 number over 64 bits), ArgumentOutOfRangeException (a timestamp past year 9999),
    /// NotSupportedException (a sparse-file entry) and InvalidOperationException (a long-name entry's size) out of it.
    /// It parses nothing but the archive's bytes, so whatever it throws, other than an I/O error, means a bad header.
    /// </remarks>
    private static TarEntry? NextEntry(TarReader tar)
    {
        try
        {
            return tar.GetNextEntry(copyData: false);
        }
        catch (Exception ex) when (ex is not (IOException or InvalidDataException or OutOfMemoryException))
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    // A batch file, a plain .tar or a .zip passed by mistake gets a message that says so, not "corrupt data".
    private void RequireGzipSignature(Stream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
            throw new InvalidDataFileException(
                $"{_archive} is not a gzip file (it does not start with the bytes 1f 8b); pass a {Cifar10.ArchiveFileName} or a {Cifar10.FolderName} folder");
        file.Position = 0;
    }

    private void ReadEntry(TarEntry entry)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)) return;
        string name = entry.Name[(entry.Name.LastIndexOf('/') + 1)..];
        string file = $"{Cifar10Format.EntryName(entry.Name)} in {_archive}";
        // The size is only a header field until the data is read; the arrays are allocated before that, from it.
        if (entry.Length > _inflatedLimit)
            throw new InvalidDataFileException(
                $"{file}: size {entry.Length} bytes is more than the archive can hold (deflate expands at most {MaxDeflateRatio}-fold); the entry's header is corrupt");

        int batch = Cifar10Format.DataBatchIndex(name);
        if (batch >= 0)
        {
            RejectDuplicate(_counts[batch] >= 0, entry);
            ReadDataBatch(batch, entry, file);
        }
        else if (name == Cifar10Format.TestBatchName)
        {
            RejectDuplicate(_test is not null, entry);
            int count = Cifar10Format.RecordCount(file, entry.Length);
            byte[] pixels = GC.AllocateUninitializedArray<byte>(count * Cifar10Format.ImageSize);
            int[] labels = new int[count];
            Cifar10Format.ReadRecords(DataOf(entry), file, entry.Length, count, pixels, labels, 0);
            _test = new LabeledImages(new ImageSet(pixels, count, Cifar10Format.Height, Cifar10Format.Width, Cifar10Format.Channels), labels);
        }
        else if (name == Cifar10Format.ClassNamesName)
        {
            RejectDuplicate(_classNames is not null, entry);
            Cifar10Format.CheckClassNamesLength(file, entry.Length);
            using var reader = new StreamReader(DataOf(entry), Encoding.UTF8);
            _classNames = Cifar10Format.ParseClassNames(reader.ReadToEnd(), file);
        }
    }

    private void ReadDataBatch(int batch, TarEntry entry, string file)
    {
        int count = Cifar10Format.RecordCount(file, entry.Length);
        _counts[batch] = count;
        if (_layoutBroken) return; // measuring only

        if (_layout is null)
        {
            // Five batches this size cannot all be in an archive that inflates to less: then the guess is wrong, so
            // measure first rather than allocate for it.
            bool guessFits = (long)Cifar10Format.DataBatchNames.Length * count * Cifar10Format.RecordSize <= _inflatedLimit;
            _layout = _knownCounts is not null ? new Cifar10TrainLayout(_knownCounts, _trainLimit, _archive)
                : guessFits ? Cifar10TrainLayout.TryUniform(count, _trainLimit, _archive)
                : null;
            if (_layout is null)
            {
                _layoutBroken = true;
                return;
            }
            (_trainPixels, _trainLabels) = _layout.Allocate();
        }
        if (_layout.Count(batch) != count)
        {
            _layoutBroken = true;
            _trainPixels = null; // let the guessed array go before the second pass allocates the right one
            _trainLabels = null;
            return;
        }
        int take = _layout.Take(batch);
        if (take > 0)
            Cifar10Format.ReadRecords(DataOf(entry), file, entry.Length, take, _trainPixels!, _trainLabels!, _layout.Offset(batch));
    }

    private void ThrowIfIncomplete()
    {
        string[] missing = Cifar10Format.DataBatchNames.Where((_, k) => _counts[k] < 0)
            .Concat(_test is null ? [Cifar10Format.TestBatchName] : [])
            .Concat(_classNames is null ? [Cifar10Format.ClassNamesName] : [])
            .ToArray();
        if (missing.Length > 0)
            throw new InvalidDataFileException(
                $"{_archive} lacks {string.Join(", ", missing)}; a CIFAR-10 binary archive holds {Cifar10.FolderName}/data_batch_1..5.bin, test_batch.bin and batches.meta.txt");
    }

    private Cifar10Dataset Result()
    {
        var train = new LabeledImages(new ImageSet(_trainPixels!, _layout!.Images, Cifar10Format.Height, Cifar10Format.Width, Cifar10Format.Channels), _trainLabels!);
        return new Cifar10Dataset(train, _test!, _classNames!);
    }

    private void RejectDuplicate(bool seen, TarEntry entry)
    {
        if (seen) throw new InvalidDataFileException($"{_archive} holds a second entry for {Cifar10Format.EntryName(entry.Name)}; which one to load is ambiguous");
    }

    // A regular-file entry of length 0 has no data stream.
    private static Stream DataOf(TarEntry entry) => entry.DataStream ?? Stream.Null;
}
