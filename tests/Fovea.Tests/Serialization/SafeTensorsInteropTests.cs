using System.Text;
using Fovea.IO;

namespace Fovea.Tests.Serialization;

/// <summary>
/// Byte sequences written out by hand from the format description, not produced by our writer: they pin the
/// layout (length field, key order, padding, byte order) that other safetensors implementations read and write.
/// </summary>
public sealed class SafeTensorsInteropTests
{
    [Fact]
    public void Reads_the_reference_implementations_documentation_example()
    {
        // From the huggingface/safetensors docs: b"<\x00\x00\x00\x00\x00\x00\x00{\"test\":{...}}" + 16 zero bytes.
        byte[] file =
        [
            0x3C, 0, 0, 0, 0, 0, 0, 0, // header length 60, little-endian u64
            .. "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"u8,
            .. new byte[16],
        ];

        var read = SafeTensorsTestFiles.Read(file);

        var t = Assert.Single(read.Tensors);
        Assert.Equal("test", t.Name);
        Assert.Equal(SafeTensorsDType.I32, t.DType);
        Assert.Equal(new Shape(2, 2), t.Shape);
        Assert.Equal([0, 0, 0, 0], t.GetData<int>().ToArray());
    }

    /// <summary>What the reference writer emits: metadata first, compact JSON, fields in the order dtype, shape, data_offsets.</summary>
    private static readonly byte[] HandWritten =
    [
        0x90, 0, 0, 0, 0, 0, 0, 0, // header length 144: 138 bytes of JSON + 6 spaces of padding
        .. "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}"u8,
        .. "      "u8,
        0x00, 0x00, 0x80, 0x3F, // a[0] = 1.0f
        0x00, 0x00, 0x20, 0xC0, // a[1] = -2.5f
        0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // b = -2L
    ];

    [Fact]
    public void Writes_exactly_the_hand_written_bytes()
    {
        var bytes = SafeTensors.ToBytes(
        [
            new NamedTensor("a", new Shape(2), new[] { 1f, -2.5f }),
            NamedTensor.Create("b", new Shape(), new[] { -2L }),
        ], new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(Convert.ToHexString(HandWritten), Convert.ToHexString(bytes));
    }

    [Fact]
    public void Reads_the_hand_written_bytes()
    {
        var file = SafeTensorsTestFiles.Read(HandWritten);

        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, file.Metadata);
        Assert.Equal([1f, -2.5f], file["a"].Float32Data.ToArray());
        Assert.Equal([-2L], file["b"].GetData<long>().ToArray());
        Assert.Equal(new Shape(), file["b"].Shape);
    }

    [Fact]
    public void Accepts_entries_in_any_order_as_the_reference_does()
    {
        // Older writers ordered the header by name rather than by offset; data order is what must be contiguous.
        var file = SafeTensorsTestFiles.Read(SafeTensorsTestFiles.Build(
            """{"z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"data_offsets":[1,3],"shape":[2],"dtype":"U8"},"__metadata__":null}""",
            [10, 20, 30]));

        Assert.Equal(["z", "a"], file.Tensors.Select(t => t.Name));
        Assert.Equal([20, 30], file["a"].GetData<byte>().ToArray());
    }

    [Fact]
    public void Accepts_whitespace_padding_and_unpadded_headers()
    {
        const string json = """{ "a" : { "dtype" : "U8" , "shape" : [ 1 ] , "data_offsets" : [ 0 , 1 ] } }""";
        Assert.Single(SafeTensorsTestFiles.Read(SafeTensorsTestFiles.Build(json + "\n\t  ", [1])).Tensors);
        Assert.Single(SafeTensorsTestFiles.Read(SafeTensorsTestFiles.Build(json, [1])).Tensors);
    }

    [Fact]
    public void Reads_escaped_names()
    {
        var file = SafeTensorsTestFiles.Read(SafeTensorsTestFiles.Build(
            """{"caf\u00e9\/x":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}""", [1]));
        Assert.Equal("café/x", Assert.Single(file.Tensors).Name);
        Assert.Equal(Encoding.UTF8.GetBytes("café/x"), Encoding.UTF8.GetBytes(file.Tensors[0].Name));
    }
}
