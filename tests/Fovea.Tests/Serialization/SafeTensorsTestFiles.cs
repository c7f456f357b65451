using System.Buffers.Binary;
using System.Text;
using Fovea.IO;

namespace Fovea.Tests.Serialization;

/// <summary>Builds safetensors byte sequences by hand, so tests can state a header exactly as it appears in a file.</summary>
internal static class SafeTensorsTestFiles
{
    /// <summary>The 8-byte length of <paramref name="headerJson"/>'s UTF-8 bytes, the header, then <paramref name="data"/>.</summary>
    public static byte[] Build(string headerJson, byte[]? data = null) =>
        Build(Encoding.UTF8.GetBytes(headerJson), data ?? []);

    public static byte[] Build(byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    public static SafeTensorsFile Read(byte[] file, SafeTensorsLimits? limits = null) =>
        SafeTensors.Read(new MemoryStream(file, writable: false), "m.safetensors", limits);

    /// <summary>The message of the <see cref="InvalidDataFileException"/> that reading <paramref name="file"/> throws.</summary>
    public static string ReadError(byte[] file, SafeTensorsLimits? limits = null) =>
        Assert.Throws<InvalidDataFileException>(() => Read(file, limits)).Message;

    /// <summary>
    /// Valid files covering each feature: several dtypes, a scalar, a zero-size tensor, metadata. The fuzzers
    /// mutate these, so every part of the format is in reach of a few mutations.
    /// </summary>
    public static IReadOnlyList<byte[]> ValidSamples()
    {
        var weights = SafeTensors.ToBytes(
        [
            new NamedTensor("conv1/kernel", new Shape(3, 3, 1, 2), Enumerable.Range(0, 18).Select(i => i * 0.25f - 1).ToArray()),
            new NamedTensor("conv1/bias", new Shape(2), new[] { 0.5f, -0.5f }),
            new NamedTensor("dense/kernel", new Shape(2, 3), new[] { 1f, 2, 3, 4, 5, 6 }),
        ], new Dictionary<string, string> { ["format"] = "fovea", ["epoch"] = "12" });

        var mixed = SafeTensors.ToBytes(
        [
            NamedTensor.Create("adam/step", new Shape(), new long[] { 1234 }),
            NamedTensor.Create("rng/state", new Shape(4), new byte[] { 1, 2, 3, 4 }),
            new NamedTensor("empty", new Shape(0, 5), ReadOnlyMemory<float>.Empty),
            NamedTensor.Create("labels", new Shape(3), new[] { 7, 8, 9 }),
            NamedTensor.Create("f64", new Shape(1, 1), new[] { Math.PI }),
            new NamedTensor("scalar", new Shape(), new[] { 42f }),
        ]);

        // The reference implementation's documentation example: one I32 [2, 2] tensor of zeros, no padding.
        var reference = Build("""{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", new byte[16]);
        return [weights, mixed, reference];
    }
}
