using System.Text.Json.Nodes;
using Fovea.IO;

namespace Fovea.Layers;

/// <summary>
/// Reads one layer's configuration strictly, because it may come from a stranger's file: a missing or out-of-range
/// value is refused with an <see cref="InvalidDataFileException"/> that names the file, the layer class and the key.
/// </summary>
public readonly struct ConfigReader(JsonObject config, string source, string type)
{
    private InvalidDataFileException Bad(string key, string what) =>
        new($"{source}: layer {type}: '{key}' must be {what}; got {(config[key] is { } got ? SafeTensorsText.Escape(got.ToJsonString(), 64) : "nothing")}");

    /// <summary>The integer at <paramref name="key"/>, which must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string key, int min, int max)
    {
        if (config[key] is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max) return i;
        throw Bad(key, $"an integer in [{min}, {max}]");
    }

    /// <summary>Whether the configuration has a value at <paramref name="key"/>, for keys older files lack.</summary>
    public bool Has(string key) => config[key] is not null;

    /// <summary>The finite number at <paramref name="key"/>.</summary>
    public float Float(string key)
    {
        // A parsed file holds doubles; a configuration fresh from GetConfig (a replica's copy) holds the floats themselves.
        double d = config[key] is JsonValue v ? v.TryGetValue(out double x) ? x : v.TryGetValue(out float f) ? f : double.NaN : double.NaN;
        // The bound is the float 1e30 (a little above the double): a max-pool's padding value of −1e30f must read back.
        if (double.IsFinite(d) && Math.Abs(d) <= (double)1e30f) return (float)d;
        throw Bad(key, "a finite number");
    }

    /// <summary>The boolean at <paramref name="key"/>.</summary>
    public bool Bool(string key)
    {
        if (config[key] is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw Bad(key, "true or false");
    }

    /// <summary>The pair of integers at <paramref name="key"/> (a kernel size, strides), each in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public (int, int) Pair(string key, int min, int max)
    {
        if (config[key] is JsonArray { Count: 2 } a && a[0] is JsonValue x && x.TryGetValue(out int h) && a[1] is JsonValue y && y.TryGetValue(out int w)
            && h >= min && h <= max && w >= min && w <= max)
            return (h, w);
        throw Bad(key, $"two integers in [{min}, {max}]");
    }

    /// <summary>The enum value named at <paramref name="key"/>, case-insensitively (<c>"same"</c>, <c>"relu"</c>); numbers are refused.</summary>
    public T Enum<T>(string key) where T : struct, System.Enum
    {
        if (AsString(config[key]) is { } s && System.Enum.TryParse<T>(s, ignoreCase: true, out var e) && System.Enum.IsDefined(e)
            && !int.TryParse(s, out _))
            return e;
        throw Bad(key, $"one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }

    /// <summary>The name at <paramref name="key"/>, or null when absent: 1 to 128 letters, digits, '_', '-' or '.'.</summary>
    public string? OptionalString(string key)
    {
        if (config[key] is null) return null;
        if (AsString(config[key]) is { } s && s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            return s;
        throw Bad(key, "a name of 1 to 128 letters, digits, '_', '-' or '.'");
    }

    /// <summary>The shape at <paramref name="key"/> (a declared input shape), or null when absent: 1 to 4 positive dimensions of bounded size.</summary>
    public Shape? OptionalShape(string key)
    {
        if (config[key] is null) return null;
        if (config[key] is JsonArray { Count: >= 1 and <= 4 } a)
        {
            var dims = new int[a.Count];
            for (int i = 0; i < dims.Length; i++)
                if (a[i] is not JsonValue v || !v.TryGetValue(out dims[i]) || dims[i] < 1 || dims[i] > 1 << 16) throw Bad(key, "1 to 4 positive integers");
            if (dims.Aggregate(1L, (p, d) => p * d) <= 1 << 26) return new Shape(dims);
        }
        throw Bad(key, "1 to 4 positive integers");
    }

    /// <summary>The text of a JSON string, or null for anything else (GetValue on a number would throw).</summary>
    internal static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;
}
