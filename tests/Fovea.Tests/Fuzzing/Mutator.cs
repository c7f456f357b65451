using System.Buffers.Binary;
using System.Text;

namespace Fovea.Tests.Fuzzing;

/// <summary>
/// Derives malformed inputs from a valid one, deterministically: the same seed and input give the same output on
/// every machine, so a failing case can be replayed from its seed alone.
/// </summary>
/// <remarks>
/// Two families of mutation, because parsers fail in two ways. Byte-level ones (bit flips, truncation, copied or
/// deleted ranges, huge integers written over length fields) break binary layouts. Text-level ones (a number
/// replaced by a huge, negative or off-by-one value; a JSON value swapped for another; a brace deleted) keep a
/// text header parseable enough to reach the validation behind the parser, which random bytes almost never do.
/// On inputs with no text, the text-level ones fall back to byte-level ones.
/// Inputs should be small (kilobytes): every mutation copies the input.
/// </remarks>
public sealed class Mutator
{
    public enum Kind
    {
        FlipBits,
        SetInterestingBytes,
        Truncate,
        DeleteRange,
        DuplicateRange,
        CopyRange,
        Splice,
        InsertRandomBytes,
        AppendRandomBytes,
        OverwriteInteger,
        ReplaceNumberText,
        ReplaceJsonValue,
        InsertJsonMember,
        DeleteStructuralChar,
    }

    private static readonly Kind[] AllKinds = Enum.GetValues<Kind>();

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x20, (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'"', (byte)',', (byte)':', (byte)'-', (byte)'0', (byte)'9', (byte)'\\'];

    private static readonly ulong[] InterestingIntegers =
    [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 100_000_000, 100_000_001,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue,
    ];

    private static readonly string[] InterestingNumberTexts =
    [
        "0", "-0", "1", "-1", "0.5", "1.0", "1e3", "1e308", "-1e308", "1e-400", "2147483647", "2147483648", "-2147483648",
        "-2147483649", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999999999", "00", "0x10", "NaN",
        "Infinity", "+1", ".5", "1.", "--1",
    ];

    private static readonly string[] JsonFragments =
    [
        "null", "true", "false", "0", "-1", "\"\"", "\"F32\"", "\"F16\"", "\"I64\"", "\"U8\"", "\"BOOL\"", "\"x\"", "[]", "{}",
        "[0]", "[0,0]", "[1,2,3]", "[-1]", "[0,18446744073709551615]", "\"\\ud800\"", "\"\\u0000\"", "\"a\\nb\"",
        "{\"a\":\"b\"}", "{\"a\":1}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];

    private static readonly string[] JsonKeys = ["__metadata__", "dtype", "shape", "data_offsets", "", "x", "a"];

    private readonly List<string> _applied = [];

    public Mutator(int seed)
    {
        Seed = seed;
        Random = new Random(seed);
    }

    public int Seed { get; }

    /// <summary>The seeded source of every choice; custom generators draw from it so they replay too.</summary>
    public Random Random { get; }

    /// <summary>What was done so far, e.g. "ReplaceNumberText@117", for failure reports.</summary>
    public IReadOnlyList<string> Applied => _applied;

    /// <summary>
    /// One to five stacked mutations of <paramref name="input"/>; <paramref name="spliceSources"/> (other valid samples)
    /// feed <see cref="Kind.Splice"/>. The result is at most twice the input plus 64 KiB long.
    /// </summary>
    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]>? spliceSources = null)
    {
        int count = 1;
        while (count < 5 && Random.Next(2) == 0) count++; // geometric: mostly one or two, so most cases stay near valid
        byte[] current = input;
        for (int i = 0; i < count; i++)
            current = Apply(AllKinds[Random.Next(AllKinds.Length)], current, spliceSources);
        return current;
    }

    /// <summary>Applies one mutation of the given kind (or a byte-level fallback where it has nothing to act on).</summary>
    public byte[] Apply(Kind kind, byte[] input, IReadOnlyList<byte[]>? spliceSources = null)
    {
        int limit = checked(input.Length * 2 + 64 * 1024);
        byte[] result = kind switch
        {
            Kind.FlipBits => FlipBits(input),
            Kind.SetInterestingBytes => SetInterestingBytes(input),
            Kind.Truncate => Truncate(input),
            Kind.DeleteRange => DeleteRange(input),
            Kind.DuplicateRange => DuplicateRange(input),
            Kind.CopyRange => CopyRange(input),
            Kind.Splice => Splice(input, spliceSources),
            Kind.InsertRandomBytes => InsertRandomBytes(input),
            Kind.AppendRandomBytes => Replace(input, input.Length, 0, RandomBytes(1 + Random.Next(16)), "AppendRandomBytes"),
            Kind.OverwriteInteger => OverwriteInteger(input),
            Kind.ReplaceNumberText => ReplaceNumberText(input),
            Kind.ReplaceJsonValue => ReplaceJsonValue(input),
            Kind.InsertJsonMember => InsertJsonMember(input),
            Kind.DeleteStructuralChar => DeleteStructuralChar(input),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), $"unknown mutation {kind}"),
        };
        return result.Length <= limit ? result : result[..limit];
    }

    // ---------------------------------------------------------------- byte level

    private byte[] FlipBits(byte[] input)
    {
        if (input.Length == 0) return AppendOne(input);
        var output = (byte[])input.Clone();
        int flips = 1 + Random.Next(8);
        for (int i = 0; i < flips; i++)
        {
            int at = Random.Next(output.Length);
            output[at] ^= (byte)(1 << Random.Next(8));
            _applied.Add($"FlipBits@{at}");
        }
        return output;
    }

    private byte[] SetInterestingBytes(byte[] input)
    {
        if (input.Length == 0) return AppendOne(input);
        var output = (byte[])input.Clone();
        int sets = 1 + Random.Next(4);
        for (int i = 0; i < sets; i++)
        {
            int at = Random.Next(output.Length);
            output[at] = Random.Next(4) == 0 ? (byte)Random.Next(256) : Pick(InterestingBytes);
            _applied.Add($"SetInterestingBytes@{at}");
        }
        return output;
    }

    private byte[] Truncate(byte[] input)
    {
        if (input.Length == 0) return AppendOne(input);
        // Near either end is where headers and last elements break; uniform covers the rest.
        int length = Random.Next(3) switch
        {
            0 => Random.Next(Math.Min(input.Length, 16)),
            1 => Math.Max(0, input.Length - 1 - Random.Next(Math.Min(input.Length, 16))),
            _ => Random.Next(input.Length),
        };
        _applied.Add($"Truncate@{length}");
        return input[..length];
    }

    private byte[] DeleteRange(byte[] input)
    {
        if (input.Length == 0) return AppendOne(input);
        var (start, length) = RandomRange(input.Length);
        return Replace(input, start, length, [], "DeleteRange");
    }

    private byte[] DuplicateRange(byte[] input)
    {
        if (input.Length == 0) return AppendOne(input);
        var (start, length) = RandomRange(input.Length);
        return Replace(input, Random.Next(input.Length + 1), 0, input.AsSpan(start, length).ToArray(), "DuplicateRange");
    }

    private byte[] CopyRange(byte[] input)
    {
        if (input.Length < 2) return AppendOne(input);
        var (start, length) = RandomRange(input.Length);
        int to = Random.Next(input.Length - length + 1);
        var output = (byte[])input.Clone();
        input.AsSpan(start, length).CopyTo(output.AsSpan(to));
        _applied.Add($"CopyRange@{to}");
        return output;
    }

    /// <summary>The head of this input joined to the tail of another sample (or of itself).</summary>
    private byte[] Splice(byte[] input, IReadOnlyList<byte[]>? sources)
    {
        byte[] other = sources is { Count: > 0 } ? sources[Random.Next(sources.Count)] : input;
        int cut = Random.Next(input.Length + 1);
        int from = Random.Next(other.Length + 1);
        _applied.Add($"Splice@{cut}");
        return [.. input.AsSpan(0, cut), .. other.AsSpan(from)];
    }

    private byte[] InsertRandomBytes(byte[] input) =>
        Replace(input, Random.Next(input.Length + 1), 0, RandomBytes(1 + Random.Next(16)), "InsertRandomBytes");

    /// <summary>A boundary value written over 1, 2, 4 or 8 bytes: length fields, counts and offsets in binary headers.</summary>
    private byte[] OverwriteInteger(byte[] input)
    {
        int width = 1 << Random.Next(4);
        if (input.Length < width) return AppendOne(input);
        ulong value = Random.Next(5) switch
        {
            0 => (ulong)input.Length + (ulong)(Random.Next(5) - 2), // lengths just around the truth
            1 => (ulong)Random.NextInt64(),
            _ => Pick(InterestingIntegers),
        };
        if (Random.Next(4) == 0) value = unchecked(0 - value); // the same magnitudes, negative
        int at = Random.Next(3) == 0 ? 0 : Random.Next(input.Length - width + 1);
        if (Random.Next(2) == 0) at -= at % width;
        var output = (byte[])input.Clone();
        // The low `width` bytes of the value, little-endian (the common case) or big-endian.
        Span<byte> bytes = stackalloc byte[8];
        if (Random.Next(4) == 0)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
            bytes[(8 - width)..].CopyTo(output.AsSpan(at));
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            bytes[..width].CopyTo(output.AsSpan(at));
        }
        _applied.Add($"OverwriteInteger@{at}:{width}:{value}");
        return output;
    }

    // ---------------------------------------------------------------- text level

    /// <summary>A run of digits (with its sign) replaced by a boundary value or by itself plus or minus one.</summary>
    private byte[] ReplaceNumberText(byte[] input)
    {
        var numbers = FindAll(input, IsNumberStart, NumberEnd);
        if (numbers.Count == 0) return OverwriteInteger(input);
        var (start, end) = numbers[Random.Next(numbers.Count)];
        string replacement;
        if (Random.Next(3) == 0 && ulong.TryParse(Encoding.ASCII.GetString(input, start, end - start), out ulong n))
            replacement = Random.Next(3) switch
            {
                0 => (n + 1).ToString(),
                1 => n == 0 ? "-1" : (n - 1).ToString(),
                _ => (n * 2 + 1).ToString(),
            };
        else
            replacement = Pick(InterestingNumberTexts);
        return Replace(input, start, end - start, Encoding.ASCII.GetBytes(replacement), "ReplaceNumberText");
    }

    /// <summary>A JSON value (after ':', '[' or ',') replaced by a fragment of another type, or by another value of the same document.</summary>
    private byte[] ReplaceJsonValue(byte[] input)
    {
        var values = FindAll(input, IsValueStart, ValueEnd);
        if (values.Count == 0) return SetInterestingBytes(input);
        var (start, end) = values[Random.Next(values.Count)];
        byte[] replacement;
        if (Random.Next(3) == 0)
        {
            var (s, e) = values[Random.Next(values.Count)];
            replacement = input[s..e];
        }
        else
        {
            replacement = Encoding.UTF8.GetBytes(Random.Next(20) == 0 ? DeepNesting() : Pick(JsonFragments));
        }
        return Replace(input, start, end - start, replacement, "ReplaceJsonValue");
    }

    /// <summary>A new member right after a '{': duplicate keys, reserved keys, wrong types.</summary>
    private byte[] InsertJsonMember(byte[] input)
    {
        var braces = FindAll(input, (b, i) => b[i] == (byte)'{', (b, i) => i + 1);
        if (braces.Count == 0) return InsertRandomBytes(input);
        var (_, at) = braces[Random.Next(braces.Count)];
        string member = $"\"{Pick(JsonKeys)}\":{Pick(JsonFragments)}";
        string text = Random.Next(2) == 0 ? member + "," : member; // without the comma: invalid JSON, or valid in an empty object
        return Replace(input, at, 0, Encoding.UTF8.GetBytes(text), "InsertJsonMember");
    }

    private byte[] DeleteStructuralChar(byte[] input)
    {
        var chars = FindAll(input, (b, i) => b[i] is (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)',' or (byte)':' or (byte)'"', (b, i) => i + 1);
        if (chars.Count == 0) return DeleteRange(input);
        var (start, end) = chars[Random.Next(chars.Count)];
        return Replace(input, start, end - start, [], "DeleteStructuralChar");
    }

    private string DeepNesting()
    {
        int depth = 100 + Random.Next(10_000);
        return new string('[', depth) + new string(']', depth);
    }

    private static bool IsNumberStart(byte[] b, int i) =>
        (IsDigit(b[i]) || (b[i] == (byte)'-' && i + 1 < b.Length && IsDigit(b[i + 1]))) && (i == 0 || !IsDigit(b[i - 1]) && b[i - 1] != (byte)'-');

    private static int NumberEnd(byte[] b, int i)
    {
        int j = i + 1;
        while (j < b.Length && (IsDigit(b[j]) || b[j] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) j++;
        return j;
    }

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static bool IsValueStart(byte[] b, int i)
    {
        if (b[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') return false;
        int p = i - 1;
        while (p >= 0 && b[p] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') p--;
        return p >= 0 && b[p] is (byte)':' or (byte)'[' or (byte)',';
    }

    /// <summary>End of the JSON value starting at i: a string, a bracketed object or array, or a bare token. Bounded scan.</summary>
    private static int ValueEnd(byte[] b, int i)
    {
        if (b[i] == (byte)'"')
        {
            int j = i + 1;
            while (j < b.Length && b[j] != (byte)'"') j += b[j] == (byte)'\\' ? 2 : 1;
            return Math.Min(j + 1, b.Length);
        }
        if (b[i] is (byte)'{' or (byte)'[')
        {
            int depth = 0;
            bool inString = false;
            for (int j = i; j < b.Length; j++)
            {
                byte c = b[j];
                if (inString) { if (c == (byte)'\\') j++; else if (c == (byte)'"') inString = false; continue; }
                if (c == (byte)'"') inString = true;
                else if (c is (byte)'{' or (byte)'[') depth++;
                else if (c is (byte)'}' or (byte)']' && --depth == 0) return j + 1;
            }
            return b.Length;
        }
        int k = i;
        while (k < b.Length && b[k] is not ((byte)',' or (byte)']' or (byte)'}' or (byte)' ')) k++;
        return Math.Max(k, i + 1);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Every (start, end) where <paramref name="isStart"/> holds; scans at most the first 1 MiB.</summary>
    private static List<(int Start, int End)> FindAll(byte[] input, Func<byte[], int, bool> isStart, Func<byte[], int, int> end)
    {
        var found = new List<(int, int)>();
        int scan = Math.Min(input.Length, 1 << 20);
        for (int i = 0; i < scan; i++)
            if (isStart(input, i)) found.Add((i, end(input, i)));
        return found;
    }

    private (int Start, int Length) RandomRange(int length)
    {
        int start = Random.Next(length);
        int max = Math.Min(length - start, Random.Next(4) == 0 ? length : 32);
        return (start, 1 + Random.Next(max));
    }

    private byte[] Replace(byte[] input, int start, int length, byte[] replacement, string what)
    {
        _applied.Add($"{what}@{start}");
        return [.. input.AsSpan(0, start), .. replacement, .. input.AsSpan(start + length)];
    }

    private byte[] AppendOne(byte[] input) => Replace(input, input.Length, 0, RandomBytes(1), "AppendOne");

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.NextBytes(bytes);
        return bytes;
    }

    private T Pick<T>(T[] options) => options[Random.Next(options.Length)];
}
