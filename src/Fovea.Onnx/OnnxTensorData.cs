using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Fovea.Onnx;

/// <summary>
/// The values of an ONNX <c>TensorProto</c> (an initializer or a Constant's value) as floats or 64-bit integers,
/// checked against its dimensions before anything of their size is allocated: a file that claims a billion elements
/// and holds four bytes is refused by name. External data is read through <see cref="OnnxExternalData"/>.
/// </summary>
internal static class OnnxTensorData
{
    /// <summary>At most this many elements in one tensor (1 GiB of floats), whatever the file claims.</summary>
    public const long MaxElements = 1L << 28;

    /// <summary>The dimensions, each in [0, 2³¹), their product at most <see cref="MaxElements"/>.</summary>
    public static long[] Dims(TensorProto t, string what)
    {
        long size = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0 || d > int.MaxValue) throw Bad(what, $"has a dimension of {d}");
            size *= Math.Max(d, 1);
            if (size > MaxElements) throw Bad(what, $"has dims [{string.Join(", ", t.Dims)}]: more than {MaxElements} elements");
        }
        return t.Dims.ToArray();
    }

    public static long Count(long[] dims) => dims.Aggregate(1L, (p, d) => p * d);

    /// <summary>The tensor's values as floats: float32 data, or integer data converted (a Reshape's shape, a Clip bound).</summary>
    public static float[] Floats(TensorProto t, string what, OnnxExternalData? external)
    {
        if (t.DataType == (int)DataType.Float)
        {
            long n = Count(Dims(t, what));
            var raw = RawBytes(t, what, n * sizeof(float), external);
            if (raw is { } bytes)
            {
                if (BitConverter.IsLittleEndian) return MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();
                var values = new float[n];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(i * sizeof(float))..]);
                return values;
            }
            if (t.FloatData.Count != n) throw Bad(what, $"holds {t.FloatData.Count} floats for dims [{string.Join(", ", t.Dims)}]");
            return t.FloatData.ToArray();
        }
        if (IsInteger(t.DataType)) return Longs(t, what, external).Select(v => (float)v).ToArray();
        throw Bad(what, $"has element type {(DataType)t.DataType}; the importer reads float32 and integer tensors");
    }

    /// <summary>The tensor's values as 64-bit integers (int64 or int32 data).</summary>
    public static long[] Longs(TensorProto t, string what, OnnxExternalData? external)
    {
        long n = Count(Dims(t, what));
        int width = t.DataType switch
        {
            (int)DataType.Int64 => 8,
            (int)DataType.Int32 => 4,
            _ => throw Bad(what, $"has element type {(DataType)t.DataType}; an integer tensor is needed here"),
        };
        var raw = RawBytes(t, what, n * width, external);
        if (raw is { } bytes)
        {
            var values = new long[n];
            for (int i = 0; i < values.Length; i++)
                values[i] = width == 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes.Span[(i * 8)..]) : BinaryPrimitives.ReadInt32LittleEndian(bytes.Span[(i * 4)..]);
            return values;
        }
        if (width == 8)
        {
            if (t.Int64Data.Count != n) throw Bad(what, $"holds {t.Int64Data.Count} integers for dims [{string.Join(", ", t.Dims)}]");
            return t.Int64Data.ToArray();
        }
        if (t.Int32Data.Count != n) throw Bad(what, $"holds {t.Int32Data.Count} integers for dims [{string.Join(", ", t.Dims)}]");
        return t.Int32Data.Select(v => (long)v).ToArray();
    }

    public static bool IsInteger(int dataType) => dataType is (int)DataType.Int64 or (int)DataType.Int32;

    /// <summary>The raw little-endian bytes if the tensor keeps its data raw or outside the file; null if in typed fields.</summary>
    private static ReadOnlyMemory<byte>? RawBytes(TensorProto t, string what, long expected, OnnxExternalData? external)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (external is null) throw Bad(what, "keeps its data in an external file, which only a model read from a file can have");
            return external.Read(t, what, expected);
        }
        if (t.RawData.IsEmpty) return expected == 0 ? ReadOnlyMemory<byte>.Empty : (ReadOnlyMemory<byte>?)null;
        if (t.RawData.Length != expected) throw Bad(what, $"holds {t.RawData.Length} bytes of data for dims [{string.Join(", ", t.Dims)}]; {expected} expected");
        return t.RawData.Memory;
    }

    private static InvalidDataFileException Bad(string what, string problem) => new($"{what} {problem}");
}
