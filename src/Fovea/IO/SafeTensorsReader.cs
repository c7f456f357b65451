using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using static Fovea.IO.SafeTensorsText;

namespace Fovea.IO;

/// <summary>
/// Reads a safetensors file that nobody vouches for. Every size the file states is checked against the file's
/// length before anything is allocated for it, and every problem becomes an <see cref="InvalidDataFileException"/>
/// naming the file and what is wrong with it.
/// </summary>
/// <remarks>
/// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data section. The rules follow
/// the format's reference implementation (huggingface/safetensors): the header starts with '{'; entries may come in
/// any order, but sorted by offset they must tile the data section exactly (no gap, no overlap, nothing after).
/// Stricter than the reference in three places, because none of them has a legitimate use: duplicate names, duplicate
/// or unknown fields in an entry, and an empty tensor name are errors.
/// </remarks>
internal sealed class SafeTensorsReader
{
    private const int LengthFieldBytes = 8;
    private const string MetadataKey = "__metadata__";

    private readonly string _source;
    private readonly SafeTensorsLimits _limits;

    private SafeTensorsReader(string source, SafeTensorsLimits limits)
    {
        _source = source;
        _limits = limits;
    }

    /// <summary>Reads from the stream's current position to its end; the stream must be seekable so its length is known.</summary>
    public static SafeTensorsFile Read(Stream stream, string source, SafeTensorsLimits limits) =>
        new SafeTensorsReader(source, limits).Read(stream);

    private readonly record struct Entry(int Index, string Name, SafeTensorsDType DType, int[] Dims, ulong Begin, ulong End)
    {
        public long Elements => (long)(End - Begin) / DType.ElementSize();
    }

    private SafeTensorsFile Read(Stream stream)
    {
        long available = stream.Length - stream.Position;
        if (available < LengthFieldBytes)
            throw Error($"file is {N(available)} bytes long; a safetensors file starts with an 8-byte header length");

        Span<byte> lengthField = stackalloc byte[LengthFieldBytes];
        ReadExactly(stream, lengthField, "the header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);

        // Compare as unsigned before converting: a length field of 0xFFFF... is a huge number, not -1.
        ulong afterLengthField = (ulong)(available - LengthFieldBytes);
        if (headerLength > afterLengthField)
            throw Error($"header length {N(headerLength)} exceeds the {N(afterLengthField)} bytes that follow it (truncated, or not a safetensors file)");
        if (headerLength > (ulong)_limits.MaxHeaderBytes)
            throw Error($"header length {N(headerLength)} exceeds the limit of {N(_limits.MaxHeaderBytes)} bytes");
        if (headerLength < 2)
            throw Error($"header length is {N(headerLength)}; the smallest header is {{}} (2 bytes)");

        // Bounded twice above (by the file and by the limit), so this allocation is justified by bytes that exist.
        var header = new byte[(int)headerLength];
        ReadExactly(stream, header, "the header");
        long dataLength = (long)(afterLengthField - headerLength);

        var (entries, metadata) = ParseHeader(header, dataLength);
        CheckTiling(entries, dataLength);

        var tensors = new NamedTensor[entries.Length];
        for (int i = 0; i < entries.Length; i++) tensors[i] = ReadTensor(stream, entries[i]);
        return new SafeTensorsFile(_source, tensors, metadata);
    }

    // ---------------------------------------------------------------- header

    private (Entry[] Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, long dataLength)
    {
        if (header[0] != (byte)'{')
            throw Error($"header does not start with '{{' (byte {LengthFieldBytes} is 0x{header[0]:X2}); not a safetensors file");
        if (!Utf8.IsValid(header))
            throw Error($"header is not valid UTF-8 (at byte {N(LengthFieldBytes + FirstInvalidUtf8(header))})");

        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        var dims = new List<int>();

        // The header's shape is fixed (object → entry object → shape array), so depth 3 is all it needs; the
        // parser rejects unexpected nesting at the first wrong token anyway, this is a second line of defence.
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 4 });
        try
        {
            Next(ref reader);
            // The first byte is '{', so the first token is StartObject.
            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string key = GetString(ref reader, "a tensor name");
                if (key == MetadataKey)
                {
                    if (metadata is not null) throw Error($"header has '{MetadataKey}' twice");
                    metadata = ReadMetadata(ref reader);
                    continue;
                }
                if (key.Length == 0) throw Error("header has a tensor with an empty name");
                if (!names.Add(key)) throw Error($"header has tensor {Quote(key)} twice");
                if (entries.Count >= _limits.MaxTensors)
                    throw Error($"header has more than {N(_limits.MaxTensors)} tensors, the limit");
                entries.Add(ReadEntry(ref reader, entries.Count, key, dims, dataLength));
            }
            // Anything but whitespace after the closing brace makes Read throw ("invalid after a single JSON value").
            if (reader.Read()) throw Error("header has more after its closing '}'");
        }
        catch (JsonException e)
        {
            throw Error($"header is not valid JSON: {DescribeJsonError(e)}");
        }
        return (entries.ToArray(), metadata ?? new Dictionary<string, string>(0));
    }

    private Dictionary<string, string> ReadMetadata(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null) return new Dictionary<string, string>(0);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error($"'{MetadataKey}' must be an object of strings; got {Describe(reader.TokenType)}");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            string key = GetString(ref reader, "a metadata key");
            Next(ref reader);
            if (reader.TokenType != JsonTokenType.String)
                throw Error($"metadata value for key {Quote(key)} must be a string; got {Describe(reader.TokenType)}");
            string value = GetString(ref reader, $"the metadata value for key {Quote(key)}");
            if (!metadata.TryAdd(key, value)) throw Error($"metadata key {Quote(key)} appears twice");
        }
    }

    private Entry ReadEntry(ref Utf8JsonReader reader, int index, string name, List<int> dims, long dataLength)
    {
        string tensor = $"tensor {Quote(name)}";
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error($"{tensor} must be an object with dtype, shape and data_offsets; got {Describe(reader.TokenType)}");

        string? dtypeText = null;
        int[]? shape = null;
        (ulong Begin, ulong End)? offsets = null;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            // Compared as a string, not with ValueTextEquals: that unescapes too, and throws InvalidOperationException
            // on a broken \u escape (found by fuzzing) where GetString's failure is already turned into a message.
            string field = GetString(ref reader, $"a field name of {tensor}");
            if (field == "dtype")
            {
                if (dtypeText is not null) throw Error($"{tensor} has 'dtype' twice");
                Next(ref reader);
                if (reader.TokenType != JsonTokenType.String)
                    throw Error($"{tensor} dtype must be a string; got {Describe(reader.TokenType)}");
                dtypeText = GetString(ref reader, $"the dtype of {tensor}");
            }
            else if (field == "shape")
            {
                if (shape is not null) throw Error($"{tensor} has 'shape' twice");
                shape = ReadShape(ref reader, tensor, dims);
            }
            else if (field == "data_offsets")
            {
                if (offsets is not null) throw Error($"{tensor} has 'data_offsets' twice");
                offsets = ReadOffsets(ref reader, tensor);
            }
            else
            {
                throw Error($"{tensor} has unknown field {Quote(field)}");
            }
        }

        if (dtypeText is null) throw Error($"{tensor} has no 'dtype'");
        if (shape is null) throw Error($"{tensor} has no 'shape'");
        if (offsets is not { } o) throw Error($"{tensor} has no 'data_offsets'");
        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
            throw Error($"{tensor} has dtype {Quote(dtypeText)}; supported: {SafeTensorsDTypes.SupportedList}");

        // Plain numbers inside brackets, as in the file: "[0, 999,999]" would read as three numbers.
        string offsetsText = $"data_offsets [{o.Begin}, {o.End}]";
        if (o.End < o.Begin) throw Error($"{tensor} {offsetsText} end before they begin");
        if (o.End > (ulong)dataLength)
            throw Error($"{tensor} {offsetsText} exceed the data section of {N(dataLength)} bytes");

        // The reference implementation folds with checked multiplication, so an overflow anywhere is an error even
        // if a later dimension is 0; do the same so that both accept the same files.
        ulong elements = 1;
        foreach (int d in shape)
            if (!TryMultiply(elements, (ulong)d, out elements))
                throw Error($"{tensor} shape {ShapeText(shape)} has more elements than a 64-bit count can hold");
        if (!TryMultiply(elements, (ulong)dtype.ElementSize(), out ulong bytes))
            throw Error($"{tensor} shape {ShapeText(shape)} of {dtype} has more bytes than a 64-bit count can hold");
        if (bytes != o.End - o.Begin)
            throw Error($"{tensor} shape {ShapeText(shape)} of {dtype} needs {N(bytes)} bytes but {offsetsText} hold {N(o.End - o.Begin)}");
        if (elements > (ulong)Array.MaxLength)
            throw Error($"{tensor} has {N(elements)} elements; at most {N(Array.MaxLength)} fit in one array");

        return new Entry(index, name, dtype, shape, o.Begin, o.End);
    }

    private int[] ReadShape(ref Utf8JsonReader reader, string tensor, List<int> dims)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error($"{tensor} shape must be an array of dimensions; got {Describe(reader.TokenType)}");
        dims.Clear();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray) return dims.ToArray();
            if (dims.Count >= _limits.MaxRank)
                throw Error($"{tensor} shape has more than {N(_limits.MaxRank)} dimensions, the limit");
            // Shape holds int dimensions, like the engine's tensors; anything larger could not be loaded anyway.
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int d) || d < 0)
                throw Error($"{tensor} shape has dimension {TokenText(ref reader)}; dimensions must be integers from 0 to {N(int.MaxValue)}");
            dims.Add(d);
        }
    }

    private (ulong, ulong) ReadOffsets(ref Utf8JsonReader reader, string tensor)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error($"{tensor} data_offsets must be an array [begin, end]; got {Describe(reader.TokenType)}");
        Span<ulong> pair = stackalloc ulong[2];
        for (int i = 0; i < 2; i++)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
                throw Error($"{tensor} data_offsets has {i} numbers; expected 2, [begin, end]");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out pair[i]))
                throw Error($"{tensor} data_offsets has {TokenText(ref reader)}; offsets must be integers from 0 to {N(ulong.MaxValue)}");
        }
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.EndArray)
            throw Error($"{tensor} data_offsets has more than 2 numbers; expected [begin, end]");
        return (pair[0], pair[1]);
    }

    // ---------------------------------------------------------------- layout

    /// <summary>Sorted by offset, the entries must cover [0, dataLength) exactly once.</summary>
    private void CheckTiling(Entry[] entries, long dataLength)
    {
        // The index breaks ties so the order (and so any message) does not depend on the sort algorithm.
        Array.Sort(entries, static (a, b) =>
            a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End)
            : a.Index.CompareTo(b.Index));

        ulong covered = 0;
        Entry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < covered)
                throw Error($"tensor {Quote(e.Name)} data_offsets [{e.Begin}, {e.End}] overlap tensor {Quote(previous!.Value.Name)} [{previous.Value.Begin}, {previous.Value.End}]");
            if (e.Begin > covered)
                throw Error($"data section bytes [{covered}, {e.Begin}) belong to no tensor (a gap before tensor {Quote(e.Name)})");
            covered = e.End;
            previous = e;
        }
        if (covered != (ulong)dataLength)
            throw Error($"data section is {N(dataLength)} bytes but the tensors cover only {N(covered)} (trailing bytes after the last tensor)");
    }

    // ---------------------------------------------------------------- data

    private NamedTensor ReadTensor(Stream stream, Entry e) => e.DType switch
    {
        SafeTensorsDType.F64 => ReadTensor<double>(stream, e),
        SafeTensorsDType.F32 => ReadTensor<float>(stream, e),
        SafeTensorsDType.I64 => ReadTensor<long>(stream, e),
        SafeTensorsDType.I32 => ReadTensor<int>(stream, e),
        SafeTensorsDType.U8 => ReadTensor<byte>(stream, e),
        _ => throw new InvalidOperationException($"dtype {e.DType} has no reader"),
    };

    private NamedTensor ReadTensor<T>(Stream stream, Entry e) where T : unmanaged
    {
        // CheckTiling proved the data section holds this many bytes, so the allocation is backed by the file.
        T[] data = e.Elements == 0 ? [] : new T[e.Elements];
        var span = data.AsSpan();
        try
        {
            LittleEndianElements.Read<T>(stream, span);
        }
        catch (EndOfStreamException)
        {
            throw Error($"file ended while reading tensor {Quote(e.Name)} (was it changed while being read?)");
        }
        return NamedTensor.FromOwnedArray(e.Name, new Shape(e.Dims), data);
    }

    // ---------------------------------------------------------------- helpers

    private InvalidDataFileException Error(string what) => new($"{_source}: {what}");

    private void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Error($"file ended while reading {what} (was it changed while being read?)");
        }
    }

    /// <summary>Advances to the next token; the header is complete in memory, so running out of tokens means it is cut short.</summary>
    private void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw Error("header JSON ends before its closing '}'");
    }

    /// <summary>
    /// GetString also unescapes; an escape such as "\ud800" (half a surrogate pair) is valid JSON but not valid text,
    /// and the reader reports it as InvalidOperationException rather than JsonException.
    /// </summary>
    private string GetString(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error($"header has {what} that is not valid text (a broken \\u escape at byte {N(LengthFieldBytes + reader.TokenStartIndex)})");
        }
    }

    private static string TokenText(ref Utf8JsonReader reader) =>
        reader.TokenType is JsonTokenType.Number ? Token(reader.ValueSpan) : Describe(reader.TokenType);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string ShapeText(int[] shape) => $"[{string.Join(", ", shape)}]";

    private static bool TryMultiply(ulong a, ulong b, out ulong product)
    {
        ulong high = Math.BigMul(a, b, out product);
        return high == 0;
    }

    /// <summary>"'x' is an invalid start of a value (at byte 37)": System.Text.Json's reason, located in the file.</summary>
    private static string DescribeJsonError(JsonException e)
    {
        string reason = e.Message;
        int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) reason = reason[..cut];
        // System.Text.Json quotes the offending text, and for a bad literal ("tru...") that is the whole rest of the
        // header: kilobytes in one message (found by fuzzing). Keep its start.
        int open = reason.IndexOf('\'');
        int close = open < 0 ? -1 : reason.IndexOf("' is ", open + 1, StringComparison.Ordinal);
        if (close > open + 1 + 32) reason = string.Concat(reason.AsSpan(0, open + 1 + 32), "…", reason.AsSpan(close));
        reason = OneLine(reason).TrimEnd('.');
        if (e.LineNumber is 0 && e.BytePositionInLine is { } b) return $"{reason} (at byte {N(LengthFieldBytes + b)})";
        if (e.LineNumber is { } line && e.BytePositionInLine is { } col) return $"{reason} (header line {N(line + 1)}, byte {N(col)})";
        return reason;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return i;
    }
}
