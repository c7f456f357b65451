using Fovea.Data;
using Fovea.Tests.Fuzzing;
using Xunit.Abstractions;

namespace Fovea.Tests.Data;

/// <summary>
/// The IDX loader on hostile files: one of the four files of a small folder is replaced by a mutation of itself, plain
/// or gzipped after mutating (so that the IDX header and data behind gzip are reached). Every case must load or be
/// refused with a one-line <see cref="FoveaException"/>, allocating no more than the file can justify.
/// </summary>
public sealed class IdxFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int DefaultSeed = 20_260_301;

    [Fact]
    public void Mutated_files_end_in_a_result_or_a_clean_rejection()
    {
        using var folder = new IdxFolder();
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed), FuzzHarness.CasesFromEnvironment(Cases), folder.Samples, folder.Load,
            new FuzzOptions { Name = "idx-folder", Generate = IdxFolder.MutateOneFile, AllocationBudget = Budget, Log = output.WriteLine });

        Assert.True(report.Valid > 0, "no mutation left a valid folder");
        Assert.True(report.RejectionsByCategory.Count >= 8, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    /// <summary>A gzipped file of n bytes may honestly inflate to about 1032 n; the other three files are read too.</summary>
    private static long Budget(int length) => 1100L * length + 2 * 1024 * 1024;

    /// <summary>
    /// A valid folder, two of whose files are gzipped, in RAM-backed temp storage where possible. An input is the index of
    /// the file to replace (one byte) and its new IDX content, so a case replays from its bytes alone.
    /// </summary>
    private sealed class IdxFolder : IDisposable
    {
        private readonly string _root;
        private readonly FakeIdx _fake = new() { TrainCount = 2, TestCount = 1 };
        private readonly IdxDatasetSpec _spec;

        private static bool Gzipped(int file) => file is 0 or 3; // train images, test labels

        public IdxFolder()
        {
            _root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"fovea-fuzz-{Guid.NewGuid():N}");
            Directory.CreateDirectory(_root);
            _fake.Write(_root, gzip: true); // for the checksums of the gzipped two
            _spec = FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, _root);
            for (int i = 0; i < 4; i++) Restore(i);
            Samples = Enumerable.Range(0, 4).Select(i => (byte[])[(byte)i, .. _fake.PlainBytes(FakeIdx.PlainNames[i])]).ToArray();
        }

        public byte[][] Samples { get; }

        private string PathOf(int file) => Path.Combine(_root, FakeIdx.PlainNames[file] + (Gzipped(file) ? ".gz" : ""));

        private void Write(int file, byte[] idx) => File.WriteAllBytes(PathOf(file), Gzipped(file) ? FakeIdx.Gzip(idx) : idx);

        private void Restore(int file)
        {
            string other = Gzipped(file) ? PathOf(file)[..^3] : PathOf(file) + ".gz";
            if (File.Exists(other)) File.Delete(other);
            Write(file, _fake.PlainBytes(FakeIdx.PlainNames[file]));
        }

        public object? Load(byte[] input)
        {
            if (input.Length == 0) return IdxDatasetLoader.LoadFolder(_spec, _root);
            int file = input[0] % 4;
            Write(file, input[1..]);
            try
            {
                return IdxDatasetLoader.LoadFolder(_spec, _root);
            }
            finally
            {
                Restore(file);
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
