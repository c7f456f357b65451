using System.Text;
using Fovea.IO;
using static Fovea.Tests.Serialization.SafeTensorsTestFiles;

namespace Fovea.Tests.Serialization;

/// <summary>Each way a file can be wrong, with the exact message the user sees.</summary>
public sealed class SafeTensorsMalformedTests
{
    private const string A8 = """ "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]} """;

    /// <summary>(header JSON, data section length, expected message after "m.safetensors: ").</summary>
    public static TheoryData<string, int, string> Headers => new()
    {
        // JSON syntax
        { """{"a":{"dtype":"F32",}}""", 0, "header is not valid JSON: The JSON object contains a trailing comma at the end which is not supported in this mode. Change the reader options (at byte 28)" },
        { """{} x""", 0, "header is not valid JSON: 'x' is invalid after a single JSON value. Expected end of data (at byte 11)" },
        { """{"a":""", 0, "header is not valid JSON: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed (at byte 13)" },
        { """ {}""", 0, "header does not start with '{' (byte 8 is 0x20); not a safetensors file" },
        { """[]""", 0, "header does not start with '{' (byte 8 is 0x5B); not a safetensors file" },
        { """{"a":{"dtype":"F32","shape":[[[[1]]]],"data_offsets":[0,4]}}""", 4, "tensor 'a' shape has dimension an array; dimensions must be integers from 0 to 2,147,483,647" },
        // entries
        { """{"a":[]}""", 0, "tensor 'a' must be an object with dtype, shape and data_offsets; got an array" },
        { """{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4, "header has a tensor with an empty name" },
        { $$"""{{{A8}},{{A8}}}""", 8, "header has tensor 'a' twice" },
        { """{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 4, "tensor 'a' has dtype 'F16'; supported: F64, F32, I64, I32, U8" },
        { """{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a' has dtype 'f32'; supported: F64, F32, I64, I32, U8" },
        { """{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a' dtype must be a string; got a number" },
        { """{"a":{"shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a' has no 'dtype'" },
        { """{"a":{"dtype":"F32","data_offsets":[0,8]}}""", 8, "tensor 'a' has no 'shape'" },
        { """{"a":{"dtype":"F32","shape":[2]}}""", 8, "tensor 'a' has no 'data_offsets'" },
        { """{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a' has 'dtype' twice" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"strides":[1]}}""", 8, "tensor 'a' has unknown field 'strides'" },
        // shapes
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape has dimension -1; dimensions must be integers from 0 to 2,147,483,647" },
        { """{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape has dimension 2.5; dimensions must be integers from 0 to 2,147,483,647" },
        { """{"a":{"dtype":"F32","shape":[2147483648],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape has dimension 2147483648; dimensions must be integers from 0 to 2,147,483,647" },
        { """{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", 8, "tensor 'a' shape has dimension a string; dimensions must be integers from 0 to 2,147,483,647" },
        { """{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}""", 8, "tensor 'a' shape must be an array of dimensions; got a number" },
        { """{"a":{"dtype":"U8","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape [2147483647, 2147483647, 2147483647] has more elements than a 64-bit count can hold" },
        { """{"a":{"dtype":"U8","shape":[2147483647,2147483647,2147483647,0],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape [2147483647, 2147483647, 2147483647, 0] has more elements than a 64-bit count can hold" },
        { """{"a":{"dtype":"F32","shape":[2147483647,2147483647,4],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape [2147483647, 2147483647, 4] of F32 has more bytes than a 64-bit count can hold" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "tensor 'a' shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8" },
        { """{"a":{"dtype":"U8","shape":[65536,65536],"data_offsets":[0,0]}}""", 0, "tensor 'a' shape [65536, 65536] of U8 needs 4,294,967,296 bytes but data_offsets [0, 0] hold 0" },
        // offsets
        { """{"dense/kernel":{"dtype":"F32","shape":[249999,1],"data_offsets":[0,999999]}}""", 1024, "tensor 'dense/kernel' data_offsets [0, 999999] exceed the data section of 1,024 bytes" },
        { """{"a":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}""", 0, "tensor 'a' data_offsets [18446744073709551615, 18446744073709551615] exceed the data section of 0 bytes" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "tensor 'a' data_offsets [8, 4] end before they begin" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}""", 4, "tensor 'a' data_offsets has 18446744073709551616; offsets must be integers from 0 to 18,446,744,073,709,551,615" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "tensor 'a' data_offsets has -4; offsets must be integers from 0 to 18,446,744,073,709,551,615" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "tensor 'a' data_offsets has 1 numbers; expected 2, [begin, end]" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 4, "tensor 'a' data_offsets has more than 2 numbers; expected [begin, end]" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'b' data_offsets [0, 8] overlap tensor 'a' [0, 8]" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20, "data section bytes [8, 12) belong to no tensor (a gap before tensor 'b')" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "data section bytes [0, 4) belong to no tensor (a gap before tensor 'a')" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "data section is 12 bytes but the tensors cover only 8 (trailing bytes after the last tensor)" },
        { """{}""", 3, "data section is 3 bytes but the tensors cover only 0 (trailing bytes after the last tensor)" },
        // metadata
        { """{"__metadata__":{"epoch":3}}""", 0, "metadata value for key 'epoch' must be a string; got a number" },
        { """{"__metadata__":{"nested":{"a":"b"}}}""", 0, "metadata value for key 'nested' must be a string; got an object" },
        { """{"__metadata__":{"x":null}}""", 0, "metadata value for key 'x' must be a string; got null" },
        { """{"__metadata__":["a"]}""", 0, "'__metadata__' must be an object of strings; got an array" },
        { """{"__metadata__":{"k":"1","k":"2"}}""", 0, "metadata key 'k' appears twice" },
        { """{"__metadata__":{},"__metadata__":{}}""", 0, "header has '__metadata__' twice" },
        // text that must not break the one-line message
        { """{"line\nbreak":{"dtype":"X","shape":[],"data_offsets":[0,0]}}""", 0, "tensor 'line\\u000abreak' has dtype 'X'; supported: F64, F32, I64, I32, U8" },
        { """{"\ud800":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4, "header has a tensor name that is not valid text (a broken \\u escape at byte 9)" },
        // Found by fuzzing: a broken escape in a field name used to escape as InvalidOperationException.
        { """{"a":{"\ud800":1}}""", 0, "header has a field name of tensor 'a' that is not valid text (a broken \\u escape at byte 14)" },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Malformed_header_is_reported_with_its_reason(string headerJson, int dataBytes, string expected)
    {
        Assert.Equal("m.safetensors: " + expected, ReadError(Build(headerJson, new byte[dataBytes])));
    }

    [Fact]
    public void A_bad_literal_does_not_put_the_rest_of_the_header_in_the_message()
    {
        // Found by fuzzing: System.Text.Json quotes everything from the bad literal to the end of the input.
        string message = ReadError(Build("{\"a\":tru\u0001" + new string('x', 5000) + "}"));
        Assert.Equal("m.safetensors: header is not valid JSON: 'tru\\u0001xxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is an invalid JSON literal. Expected the literal 'true' (at byte 16)", message);
    }

    [Fact]
    public void Emoji_stay_readable_in_messages_but_half_surrogates_are_escaped()
    {
        Assert.Equal("m.safetensors: tensor '層🎉' has dtype 'X'; supported: F64, F32, I64, I32, U8",
            ReadError(Build("""{"層🎉":{"dtype":"X","shape":[],"data_offsets":[0,0]}}""")));
    }

    [Fact]
    public void Long_names_are_cut_in_messages()
    {
        string name = new('n', 10_000);
        string message = ReadError(Build($$$"""{"{{{name}}}":{"dtype":"X","shape":[],"data_offsets":[0,0]}}"""));
        Assert.Equal($"m.safetensors: tensor '{new string('n', 64)}…' has dtype 'X'; supported: F64, F32, I64, I32, U8", message);
    }

    [Fact]
    public void Names_of_control_characters_are_cut_at_their_printed_length()
    {
        // Found by fuzzing the CIFAR reader, which shares the escaping: the cut counted characters before escaping,
        // so a name of 64 control characters printed as 384.
        string name = string.Concat(Enumerable.Repeat("\\u0001", 1000)); // JSON escapes
        string message = ReadError(Build($$$"""{"{{{name}}}":{"dtype":"X","shape":[],"data_offsets":[0,0]}}"""));
        Assert.Equal($"m.safetensors: tensor '{string.Concat(Enumerable.Repeat("\\u0001", 11))}…' has dtype 'X'; supported: F64, F32, I64, I32, U8", message);
    }

    [Theory]
    [InlineData(0, "m.safetensors: file is 0 bytes long; a safetensors file starts with an 8-byte header length")]
    [InlineData(5, "m.safetensors: file is 5 bytes long; a safetensors file starts with an 8-byte header length")]
    public void File_shorter_than_the_length_field(int length, string expected)
    {
        Assert.Equal(expected, ReadError(new byte[length]));
    }

    [Fact]
    public void Header_length_beyond_the_file_means_a_truncated_file()
    {
        var file = Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [1]);
        Assert.Equal("m.safetensors: header length 53 exceeds the 20 bytes that follow it (truncated, or not a safetensors file)",
            ReadError(file[..28]));
    }

    [Theory]
    [InlineData(ulong.MaxValue, "18,446,744,073,709,551,615")]
    [InlineData(1UL << 63, "9,223,372,036,854,775,808")]
    [InlineData(1UL << 32, "4,294,967,296")]
    public void Huge_header_length_is_rejected_without_allocating(ulong declared, string shown)
    {
        var file = Build("{}"u8.ToArray(), [], declared);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string message = ReadError(file);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
        Assert.Equal($"m.safetensors: header length {shown} exceeds the 2 bytes that follow it (truncated, or not a safetensors file)", message);
    }

    [Fact]
    public void Header_over_the_limit()
    {
        var file = SafeTensors.ToBytes([new NamedTensor("a", new Shape(1), new[] { 1f })]);
        Assert.Equal("m.safetensors: header length 56 exceeds the limit of 32 bytes",
            ReadError(file, new SafeTensorsLimits { MaxHeaderBytes = 32 }));
    }

    [Theory]
    [InlineData(0, "m.safetensors: header length is 0; the smallest header is {} (2 bytes)")]
    [InlineData(1, "m.safetensors: header length is 1; the smallest header is {} (2 bytes)")]
    public void Header_too_short_to_be_an_object(int length, string expected)
    {
        Assert.Equal(expected, ReadError(Build("{}"u8.ToArray()[..length], [])));
    }

    [Fact]
    public void Too_many_tensors_or_dimensions()
    {
        var file = SafeTensors.ToBytes(
        [
            new NamedTensor("a", new Shape(1, 1, 1), new[] { 1f }),
            new NamedTensor("b", new Shape(1), new[] { 1f }),
        ]);
        Assert.Equal("m.safetensors: header has more than 1 tensors, the limit", ReadError(file, new SafeTensorsLimits { MaxTensors = 1 }));
        Assert.Equal("m.safetensors: tensor 'a' shape has more than 2 dimensions, the limit", ReadError(file, new SafeTensorsLimits { MaxRank = 2 }));
    }

    [Fact]
    public void Invalid_utf8_is_located()
    {
        byte[] header = [.. "{\"a"u8, 0xFF, .. "\":{}}"u8];
        Assert.Equal("m.safetensors: header is not valid UTF-8 (at byte 11)", ReadError(Build(header, [])));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "fovea-no-such-folder-" + Guid.NewGuid().ToString("N"), "model.safetensors");
        Assert.Equal($"{path}: file not found (its folder does not exist)",
            Assert.Throws<InvalidDataFileException>(() => SafeTensors.Read(path)).Message);

        string inExistingFolder = Path.Combine(Path.GetTempPath(), "fovea-missing-" + Guid.NewGuid().ToString("N") + ".safetensors");
        Assert.Equal($"{inExistingFolder}: file not found",
            Assert.Throws<InvalidDataFileException>(() => SafeTensors.Read(inExistingFolder)).Message);
    }

    [Fact]
    public void Truncated_data_on_disk_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "fovea-trunc-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var bytes = SafeTensors.ToBytes([new NamedTensor("a", new Shape(4), new float[4])]);
            File.WriteAllBytes(path, bytes[..^3]);
            Assert.Equal($"{path}: tensor 'a' data_offsets [0, 16] exceed the data section of 13 bytes",
                Assert.Throws<InvalidDataFileException>(() => SafeTensors.Read(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Messages_from_the_text_helpers_are_one_line()
    {
        string raw = Encoding.UTF8.GetString([.. "{\"\u2028\r\n\":1}"u8]);
        string message = ReadError(Build(raw));
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.DoesNotContain('\u2028', message);
    }
}
