using System.Text;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Fovea.Data;
using Fovea.Tests.Fuzzing;
using Xunit.Abstractions;

namespace Fovea.Tests.Data;

/// <summary>
/// The CIFAR-10 reader on hostile input (issue requirement: at least 10,000 cases per target in CI), at three depths:
/// raw bytes of the .tar.gz (mostly stopped by gzip's CRC), the tar inside it mutated and recompressed (so the tar
/// headers and batch records are reached), and single files of an extracted folder.
/// </summary>
public sealed partial class Cifar10FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int DefaultSeed = 20_251_201;

    /// <summary>Tiny archives: one uniform (the single-pass guess holds), one not (the second pass runs), one with PAX headers.</summary>
    private static readonly byte[][] Archives =
    [
        new FakeCifar10 { TrainCounts = [1, 1, 1, 1, 1], TestCount = 1 }.ArchiveBytes(),
        new FakeCifar10 { TrainCounts = [2, 1, 1, 1, 1], TestCount = 2 }.ArchiveBytes(),
        new FakeCifar10 { TrainCounts = [1, 1, 1, 1, 1], TestCount = 1 }.ArchiveBytes(format: System.Formats.Tar.TarEntryFormat.Pax),
    ];

    private static object? ReadArchive(byte[] archive) =>
        Cifar10ArchiveReader.Read(() => new MemoryStream(archive, writable: false), "fuzz.tar.gz", trainLimit: null);

    [Fact]
    public void Byte_mutations_of_the_archive_end_in_a_result_or_a_clean_rejection()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed), FuzzHarness.CasesFromEnvironment(Cases), Archives, ReadArchive,
            new FuzzOptions { Name = "cifar-gz-bytes", AllocationBudget = ArchiveBudget, Categorize = Category, Log = output.WriteLine });

        Assert.True(report.Cases >= Cases);
        Assert.True(report.Valid > 0, "no mutation left a valid archive");
        Assert.True(report.Rejected > Cases / 2, $"only {report.Rejected} rejections");
    }

    [Fact]
    public void Tar_mutations_reach_the_entries_and_records_behind_gzip()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 1), FuzzHarness.CasesFromEnvironment(Cases), Archives, ReadArchive,
            new FuzzOptions { Name = "cifar-tar", Generate = MutateTar, AllocationBudget = ArchiveBudget, Categorize = Category, Log = output.WriteLine });

        // Past gzip means messages about entries and records, not about the compressed stream.
        int inner = report.RejectionsByCategory.Where(kv => !kv.Key.Contains("compressed data is corrupt", StringComparison.Ordinal)).Sum(kv => kv.Value);
        Assert.True(inner > report.Rejected * 9 / 10, $"only {inner} of {report.Rejected} rejections got past gzip");
        Assert.True(report.Valid > 0, "no mutation left a valid archive");
        Assert.True(report.RejectionsByCategory.Count >= 15, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    [Fact]
    public void Mutated_files_of_a_folder_end_in_a_result_or_a_clean_rejection()
    {
        using var folder = new CifarFolder();
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 2), FuzzHarness.CasesFromEnvironment(Cases), folder.Samples, folder.Load,
            new FuzzOptions { Name = "cifar-folder", Generate = CifarFolder.MutateOneFile, AllocationBudget = FolderBudget, Log = output.WriteLine });

        Assert.True(report.Valid > 0, "no mutation left a valid folder");
        Assert.True(report.RejectionsByCategory.Count >= 4, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    /// <summary>
    /// Deflate expands at most 1032:1, so an n-byte archive may honestly hold about 1032 n bytes of batches, and the
    /// reader may allocate for them (plus its pooled 786 KB read buffer, taken once per thread). A forged size field
    /// (gigabytes) is still far over.
    /// </summary>
    private static long ArchiveBudget(int length) => 1100L * length + 2 * 1024 * 1024;

    /// <summary>The other six files are valid and read too; the pooled read buffer comes once per thread.</summary>
    private static long FolderBudget(int length) => 16L * length + 2 * 1024 * 1024;

    /// <summary>The default category, with entry paths (which the mutations garble freely) folded to '…/…'.</summary>
    private static string Category(Exception e) => FuzzReport.DefaultCategory(new FoveaException(EntryPath().Replace(e.Message, "…/…")));

    [GeneratedRegex(@"[^\s;:()']*/[^\s;:()']*")]
    private static partial Regex EntryPath();

    // ---------------------------------------------------------------- tar-level generator

    /// <summary>Values around the truth and far from it: octal text, and GNU's base-256 form for the huge and negative ones.</summary>
    private static readonly long[] InterestingNumbers =
    [
        0, 1, 3072, 3073, 3074, 6146, 61, 64 * 1024 + 1, (1L << 30) - 1, 1L << 30, (1L << 30) + 3073, 349_406L * 3073,
        int.MaxValue, (1L << 33) - 1, 1L << 33, 1L << 40, long.MaxValue, -1, long.MinValue,
    ];

    /// <summary>Each sample's tar, inflated once rather than once per case.</summary>
    private static readonly ConditionalWeakTable<byte[], byte[]> Tars = [];

    private static readonly byte[] TypeFlags = "0\0123456789ALKxgSDMNV"u8.ToArray();

    /// <summary>
    /// Inflates the sample, mutates the tar (a header field with its checksum repaired, an entry's data with its size
    /// field following, whole entries dropped or duplicated, or raw bytes), and deflates it again, so that gzip lets
    /// the case through.
    /// </summary>
    private static byte[] MutateTar(Mutator m, IReadOnlyList<byte[]> samples)
    {
        byte[] tar = [.. Tars.GetValue(samples[m.Random.Next(samples.Count)], TarBytes.Gunzip)];
        List<(int Header, int Length)> entries = TarBytes.Entries(tar);
        int rounds = 1 + (m.Random.Next(4) == 0 ? m.Random.Next(3) : 0);
        for (int round = 0; round < rounds && entries.Count > 0; round++)
        {
            var (header, length) = entries[m.Random.Next(entries.Count)];
            switch (m.Random.Next(10))
            {
                case < 5:
                    MutateHeaderField(m, tar.AsSpan(header, TarBytes.Block));
                    break;
                case 5:
                    tar = [.. tar.AsSpan(0, header), .. tar.AsSpan(header + length)];
                    break;
                case 6:
                    int to = entries[m.Random.Next(entries.Count)].Header;
                    tar = [.. tar.AsSpan(0, to), .. tar.AsSpan(header, length), .. tar.AsSpan(to)];
                    break;
                case 7:
                    // A record's label or pixels, the class names' text. An earlier round may have changed the size field.
                    int size = (int)Math.Clamp(TarBytes.Size(tar, header), 0, length - TarBytes.Block);
                    byte[] data = MutateBytes(m, tar[(header + TarBytes.Block)..(header + TarBytes.Block + size)]);
                    byte[] head = tar[header..(header + TarBytes.Block)];
                    TarBytes.WriteNumber(head.AsSpan(TarBytes.SizeOffset, 12), data.Length);
                    TarBytes.WriteChecksum(head);
                    byte[] padding = new byte[(TarBytes.Block - data.Length % TarBytes.Block) % TarBytes.Block];
                    tar = [.. tar.AsSpan(0, header), .. head, .. data, .. padding, .. tar.AsSpan(header + length)];
                    break;
                default:
                    return TarBytes.Gzip(MutateBytes(m, tar));
            }
            entries = TarBytes.Entries(tar);
        }
        return TarBytes.Gzip(tar);
    }

    private static readonly Mutator.Kind[] ByteKinds =
    [
        Mutator.Kind.FlipBits, Mutator.Kind.SetInterestingBytes, Mutator.Kind.Truncate, Mutator.Kind.DeleteRange, Mutator.Kind.DuplicateRange,
        Mutator.Kind.CopyRange, Mutator.Kind.InsertRandomBytes, Mutator.Kind.AppendRandomBytes, Mutator.Kind.OverwriteInteger,
    ];

    /// <summary>
    /// One to three byte-level mutations. The text-level ones look for JSON, which a tar of pixels is not, and their
    /// scan of a 28 KB tar costs ten times the read it feeds; header fields get their own structured mutations.
    /// </summary>
    private static byte[] MutateBytes(Mutator m, byte[] input)
    {
        for (int i = 1 + m.Random.Next(3); i > 0; i--) input = m.Apply(ByteKinds[m.Random.Next(ByteKinds.Length)], input);
        return input;
    }

    private static void MutateHeaderField(Mutator m, Span<byte> header)
    {
        var (name, offset, length) = TarBytes.Fields[m.Random.Next(TarBytes.Fields.Length)];
        Span<byte> field = header.Slice(offset, length);
        switch (name)
        {
            case "size" or "mtime" or "mode" or "uid":
                TarBytes.WriteNumber(field, InterestingNumbers[m.Random.Next(InterestingNumbers.Length)], base256: m.Random.Next(3) == 0);
                break;
            case "typeflag":
                field[0] = TypeFlags[m.Random.Next(TypeFlags.Length)];
                break;
            default:
                byte[] mutated = m.Mutate(field.ToArray());
                field.Clear();
                mutated.AsSpan(0, Math.Min(mutated.Length, length)).CopyTo(field);
                break;
        }
        if (name != "checksum" && m.Random.Next(10) != 0) TarBytes.WriteChecksum(header);
    }

    // ---------------------------------------------------------------- folder generator

    /// <summary>
    /// A valid extracted folder in RAM-backed temp storage where possible; a case replaces one of its seven files.
    /// Inputs are the file's index (one byte) and its new content, so a case replays from its bytes alone.
    /// </summary>
    private sealed class CifarFolder : IDisposable
    {
        private static readonly string[] Names = [.. Cifar10Format.DataBatchNames, Cifar10Format.TestBatchName, Cifar10Format.ClassNamesName];
        private readonly string _root;
        private readonly string _folder;
        private readonly FakeCifar10 _fake = new() { TrainCounts = [1, 1, 2, 1, 1], TestCount = 2 };

        public CifarFolder()
        {
            string shm = "/dev/shm";
            _root = Path.Combine(Directory.Exists(shm) ? shm : Path.GetTempPath(), $"fovea-fuzz-{Guid.NewGuid():N}");
            Directory.CreateDirectory(_root);
            _folder = _fake.WriteFolder(_root);
            Samples = Names.Select((name, i) => (byte[])[(byte)i, .. _fake.FileBytes(name)]).ToArray();
        }

        public byte[][] Samples { get; }

        public object? Load(byte[] input)
        {
            if (input.Length == 0) return Cifar10.Load(_folder); // nothing replaced
            string name = Names[input[0] % Names.Length];
            string path = Path.Combine(_folder, name);
            File.WriteAllBytes(path, input[1..]);
            try
            {
                return Cifar10.Load(_folder);
            }
            finally
            {
                File.WriteAllBytes(path, _fake.FileBytes(name));
            }
        }

        public static byte[] MutateOneFile(Mutator m, IReadOnlyList<byte[]> samples)
        {
            byte[] sample = samples[m.Random.Next(samples.Count)];
            return [sample[0], .. m.Mutate(sample[1..])];
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
