using System.Buffers.Binary;
using Fovea.IO;
using Fovea.Tests.Fuzzing;
using Xunit.Abstractions;

namespace Fovea.Tests.Serialization;

/// <summary>
/// The reader on hostile input (issue requirement: at least 10,000 cases per target in CI). Two generators: raw byte
/// mutations of whole files, and header mutations that keep the length field consistent so most cases get past
/// the JSON parser into the validation behind it.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int DefaultSeed = 20_251_129;

    private static object? Read(byte[] file) => SafeTensors.Read(new MemoryStream(file, writable: false), "fuzz.safetensors");

    [Fact]
    public void Byte_mutations_end_in_a_result_or_a_clean_rejection()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed), FuzzHarness.CasesFromEnvironment(Cases),
            SafeTensorsTestFiles.ValidSamples(), Read, new FuzzOptions { Name = "safetensors-bytes", Log = output.WriteLine });

        Assert.True(report.Cases >= Cases);
        Assert.True(report.Valid > 0, "no mutation left a valid file: the mutator is too destructive to test acceptance");
        Assert.True(report.Rejected > Cases / 2, $"only {report.Rejected} rejections");
    }

    [Fact]
    public void Header_mutations_reach_the_validation_behind_the_parser()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 1), FuzzHarness.CasesFromEnvironment(Cases),
            SafeTensorsTestFiles.ValidSamples(), Read,
            new FuzzOptions { Name = "safetensors-header", Generate = MutateHeader, Log = output.WriteLine });

        // Past the parser means messages about entries, not syntax: the generator is doing its job.
        int semantic = report.RejectionsByCategory.Where(kv => !kv.Key.StartsWith("header is not valid JSON", StringComparison.Ordinal)).Sum(kv => kv.Value);
        Assert.True(semantic > report.Rejected / 3, $"only {semantic} of {report.Rejected} rejections got past the JSON parser");
        Assert.True(report.RejectionsByCategory.Count >= 25, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    /// <summary>
    /// Mutates the JSON header (and sometimes the data) of a sample, then writes the true header length, padded or
    /// not; one case in ten keeps a mutated length instead, to cover disagreement between the two.
    /// </summary>
    internal static byte[] MutateHeader(Mutator m, IReadOnlyList<byte[]> samples)
    {
        byte[] sample = samples[m.Random.Next(samples.Count)];
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(sample);
        byte[] header = m.Mutate(sample[8..(8 + headerLength)]);
        byte[] data = sample[(8 + headerLength)..];
        if (m.Random.Next(4) == 0) data = m.Mutate(data);
        if (m.Random.Next(2) == 0) header = [.. header, .. Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)];
        ulong declared = m.Random.Next(10) == 0
            ? BinaryPrimitives.ReadUInt64LittleEndian(m.Apply(Mutator.Kind.OverwriteInteger, new byte[8]))
            : (ulong)header.Length;
        return SafeTensorsTestFiles.Build(header, data, declared);
    }
}
