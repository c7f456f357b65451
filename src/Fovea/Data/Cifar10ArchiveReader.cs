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
    private readonly string _archive;
    private readonly int? _trainLimit;
    private readonly int[]? _knownCounts;

    private readonly int[] _counts = [-1, -1, -1, -1, -1]; // records per data batch, -1 until its entry is seen
    private Cifar10TrainLayout? _layout;
    private bool _layoutBroken;
    private byte[]? _trainPixels;
    private int[]? _trainLabels;
    private LabeledImages? _test;
    private string[]? _classNames;
    private string? _currentEntry;

    private Cifar10ArchiveReader(string archive, int? trainLimit, int[]? knownCounts)
    {
        _archive = archive;
        _trainLimit = trainLimit;
        _knownCounts = knownCounts;
    }

    public static Cifar10Dataset Read(string archive, int? trainLimit)
    {
        var guessed = new Cifar10ArchiveReader(archive, trainLimit, knownCounts: null);
        guessed.ReadEntries();
        guessed.ThrowIfIncomplete();
        if (!guessed._layoutBroken) return guessed.Result();

        var measured = new Cifar10ArchiveReader(archive, trainLimit, guessed._counts);
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
            using var file = new FileStream(_archive, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
            RequireGzipSignature(file);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry(copyData: false) is { } entry)
            {
                _currentEntry = entry.Name;
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

    // A batch file, a plain .tar or a .zip passed by mistake gets a message that says so, not "corrupt data".
    private void RequireGzipSignature(FileStream file)
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
        string file = $"{entry.Name} in {_archive}";

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
            _layout = _knownCounts is null ? Cifar10TrainLayout.TryUniform(count, _trainLimit, _archive) : new Cifar10TrainLayout(_knownCounts, _trainLimit, _archive);
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
        if (seen) throw new InvalidDataFileException($"{_archive} holds a second entry for {entry.Name}; which one to load is ambiguous");
    }

    // A regular-file entry of length 0 has no data stream.
    private static Stream DataOf(TarEntry entry) => entry.DataStream ?? Stream.Null;
}
