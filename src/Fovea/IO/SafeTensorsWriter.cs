using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fovea.IO;

/// <summary>
/// Lays out a safetensors file: the header length, the JSON header padded with spaces to a multiple of 8 bytes
/// (so that data starts aligned, as the reference writer does), then each tensor's bytes in the order given.
/// </summary>
/// <remarks>
/// The header is built and every argument checked before the first byte is written, so a caller's mistake never
/// leaves a half-written file. For one F32 tensor list sorted by name the output is byte-identical to the
/// reference implementation's.
/// </remarks>
internal sealed class SafeTensorsWriter
{
    private readonly byte[] _header;
    private readonly IReadOnlyList<NamedTensor> _tensors;

    public SafeTensorsWriter(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        // A snapshot, so that a list changed after validation cannot make the data disagree with the header.
        _tensors = [.. tensors];
        Validate(_tensors, metadata);
        _header = BuildHeader(_tensors, metadata);
    }

    public void WriteTo(Stream destination)
    {
        Span<byte> lengthField = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)_header.Length);
        destination.Write(lengthField);
        destination.Write(_header);
        foreach (var t in _tensors) t.WriteDataTo(destination);
    }

    private static void Validate(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"tensors[{i}] must not be null");
            if (t.Name == "__metadata__")
                throw new ArgumentException($"tensors[{i}] is named '__metadata__', which the format reserves for metadata", nameof(tensors));
            if (!names.Add(t.Name))
                throw new ArgumentException($"tensor names must be unique; got '{t.Name}' twice (tensors[{i}])", nameof(tensors));
        }
        if (metadata is null) return;
        foreach (var (key, value) in metadata)
            if (value is null) throw new ArgumentNullException(nameof(metadata), $"metadata value for key '{key}' must not be null");
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names and metadata readable in the header (it is not embedded in HTML).
        // Invalid UTF-16 (a lone surrogate) makes the writer throw ArgumentException: it cannot be stored as UTF-8.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            ulong offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (ulong)t.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
