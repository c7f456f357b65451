using Fovea.IO;

namespace Fovea.Tests.Serialization;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fovea-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<int[]> Shapes => new()
    {
        Array.Empty<int>(), // scalar: rank 0, one element
        new[] { 0 },
        new[] { 2, 0, 3 },
        new[] { 1 },
        new[] { 7 },
        new[] { 3, 3, 3, 16 },
        new[] { 2, 1, 1, 1, 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void F32_round_trips_through_a_file(int[] dims)
    {
        var shape = new Shape(dims);
        var data = Enumerable.Range(0, (int)shape.Size).Select(i => MathF.Sin(i) * 1e3f).ToArray();
        string path = Path.Combine(_folder, "model.safetensors");

        SafeTensors.Write(path, [new NamedTensor("w", shape, data)]);
        var file = SafeTensors.Read(path);

        var t = Assert.Single(file.Tensors);
        Assert.Equal("w", t.Name);
        Assert.Equal(SafeTensorsDType.F32, t.DType);
        Assert.Equal(shape, t.Shape);
        Assert.Equal(data, t.Float32Data.ToArray());
        Assert.Empty(file.Metadata);
        Assert.Equal(path, file.Source);
    }

    [Fact]
    public void A_multi_megabyte_tensor_round_trips_through_a_file()
    {
        // Large enough that the file system returns it in several reads; ReadExactly must stitch them together.
        var data = new float[3_000_000];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.5f;
        string path = Path.Combine(_folder, "big.safetensors");

        SafeTensors.Write(path, [new NamedTensor("w", new Shape(1000, 3000), data)]);
        var back = SafeTensors.Read(path).GetTensor("w", new Shape(1000, 3000));

        Assert.Equal(data, back.Data);
    }

    [Fact]
    public void Special_float_values_keep_their_bits()
    {
        float[] data = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, BitConverter.Int32BitsToSingle(0x7FC12345)];
        var file = SafeTensorsTestFiles.Read(SafeTensors.ToBytes([new NamedTensor("x", new Shape(data.Length), data)]));
        var back = file["x"].Float32Data.ToArray();
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Every_dtype_round_trips_with_its_values()
    {
        double[] f64 = [Math.PI, -0.0, double.MaxValue];
        long[] i64 = [long.MinValue, -1, 0, long.MaxValue];
        int[] i32 = [int.MinValue, 7, int.MaxValue];
        byte[] u8 = [0, 1, 255];
        float[] f32 = [1.5f];
        var bytes = SafeTensors.ToBytes(
        [
            NamedTensor.Create("f64", new Shape(3), f64),
            NamedTensor.Create("i64", new Shape(2, 2), i64),
            NamedTensor.Create("i32", new Shape(3, 1), i32),
            NamedTensor.Create("u8", new Shape(3), u8),
            NamedTensor.Create("f32", new Shape(), f32),
        ]);

        var file = SafeTensorsTestFiles.Read(bytes);

        Assert.Equal(["f64", "i64", "i32", "u8", "f32"], file.Tensors.Select(t => t.Name));
        Assert.Equal(f64, file["f64"].GetData<double>().ToArray());
        Assert.Equal(i64, file["i64"].GetData<long>().ToArray());
        Assert.Equal(i32, file["i32"].GetData<int>().ToArray());
        Assert.Equal(u8, file["u8"].GetData<byte>().ToArray());
        Assert.Equal(f32, file["f32"].GetData<float>().ToArray());
        Assert.Equal([SafeTensorsDType.F64, SafeTensorsDType.I64, SafeTensorsDType.I32, SafeTensorsDType.U8, SafeTensorsDType.F32],
            file.Tensors.Select(t => t.DType));
        Assert.Equal(new Shape(2, 2), file["i64"].Shape);
    }

    [Fact]
    public void Unicode_names_and_metadata_round_trip()
    {
        var metadata = new Dictionary<string, string>
        {
            ["説明"] = "Ünïcödé 🎉 \"quoted\" \\ back\nslash and newline\t",
            [""] = "empty key",
            ["empty value"] = "",
            ["format"] = "pt",
        };
        var bytes = SafeTensors.ToBytes([new NamedTensor("層/カーネル 🎉", new Shape(1), new[] { 3f })], metadata);

        var file = SafeTensorsTestFiles.Read(bytes);

        Assert.Equal(metadata, file.Metadata);
        Assert.Equal("層/カーネル 🎉", Assert.Single(file.Tensors).Name);
    }

    [Fact]
    public void An_empty_list_makes_a_valid_file()
    {
        var bytes = SafeTensors.ToBytes([]);
        Assert.Equal(16, bytes.Length); // "{}" padded to 8 bytes
        var file = SafeTensorsTestFiles.Read(bytes);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Header_is_padded_with_spaces_so_data_starts_8_byte_aligned()
    {
        var bytes = SafeTensors.ToBytes([new NamedTensor("a", new Shape(1), new[] { 1f })]);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal((byte)'{', bytes[8]);
        Assert.Equal((byte)' ', bytes[8 + headerLength - 1]);
    }

    [Fact]
    public void Writing_a_file_replaces_the_old_one_and_leaves_no_temporary_files()
    {
        string path = Path.Combine(_folder, "ckpt.safetensors");
        SafeTensors.Write(path, [new NamedTensor("a", new Shape(1), new[] { 1f })]);
        SafeTensors.Write(path, [new NamedTensor("b", new Shape(2), new[] { 2f, 3f })]);

        Assert.Equal("b", Assert.Single(SafeTensors.Read(path).Tensors).Name);
        Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void GetTensor_returns_an_engine_tensor_and_checks_dtype_and_shape()
    {
        var file = SafeTensorsTestFiles.Read(SafeTensors.ToBytes(
        [
            new NamedTensor("dense/kernel", new Tensor(new Shape(2, 3), [1, 2, 3, 4, 5, 6])),
            NamedTensor.Create("step", new Shape(), new long[] { 5 }),
        ]));

        var kernel = file.GetTensor("dense/kernel", new Shape(2, 3));
        Assert.Equal(new Shape(2, 3), kernel.Shape);
        Assert.Equal(6f, kernel[1, 2]);
        Assert.Equal("m.safetensors: tensor 'dense/kernel' has shape (2, 3); expected (3, 2)",
            Assert.Throws<InvalidDataFileException>(() => file.GetTensor("dense/kernel", new Shape(3, 2))).Message);
        Assert.Equal("m.safetensors: tensor 'step' has dtype I64; expected F32",
            Assert.Throws<InvalidDataFileException>(() => file.GetTensor("step")).Message);
        Assert.Equal("m.safetensors: has no tensor named 'dense/bias' (it has 2)",
            Assert.Throws<InvalidDataFileException>(() => file.GetTensor("dense/bias")).Message);
    }

    [Fact]
    public void Asking_for_the_wrong_element_type_names_the_tensor()
    {
        var t = NamedTensor.Create("step", new Shape(), new long[] { 5 });
        Assert.Equal("tensor 'step' holds I64 elements; got a request for Single",
            Assert.Throws<InvalidOperationException>(() => t.GetData<float>()).Message);
    }

    [Fact]
    public void Writer_rejects_caller_mistakes_before_touching_the_disk()
    {
        string path = Path.Combine(_folder, "bad.safetensors");
        var a = new NamedTensor("a", new Shape(1), new[] { 1f });

        var dup = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [a, a]));
        Assert.StartsWith("tensor names must be unique; got 'a' twice (tensors[1])", dup.Message);
        var reserved = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new NamedTensor("__metadata__", new Shape(), new[] { 1f })]));
        Assert.StartsWith("tensors[0] is named '__metadata__'", reserved.Message);
        var length = Assert.Throws<ArgumentException>(() => new NamedTensor("w", new Shape(2, 3), new float[5]));
        Assert.StartsWith("data length must equal the size 6 of shape (2, 3) for tensor 'w'; got 5", length.Message);
        var empty = Assert.Throws<ArgumentException>(() => new NamedTensor("", new Shape(), new float[1]));
        Assert.StartsWith("tensor name must be non-empty", empty.Message);
        var type = Assert.Throws<ArgumentException>(() => NamedTensor.Create("h", new Shape(1), new short[1]));
        Assert.StartsWith("element type must be double, float, long, int or byte; got Int16", type.Message);

        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Stream_reading_starts_at_the_current_position()
    {
        var file = SafeTensors.ToBytes([new NamedTensor("a", new Shape(1), new[] { 1f })]);
        var stream = new MemoryStream([0xAA, 0xBB, .. file]) { Position = 2 };
        Assert.Equal("a", Assert.Single(SafeTensors.Read(stream, "embedded").Tensors).Name);
    }
}
