using System.Text.Json.Nodes;
using Fovea.Layers;

namespace Fovea.Serialization;

/// <summary>
/// Turns layers into Keras-like <c>{"class_name", "config"}</c> objects and back. Reading is strict, because the
/// JSON may come from a stranger's file: unknown classes, missing or out-of-range values are refused by name.
/// </summary>
internal static class LayerConfig
{
    public static JsonObject ToJson(Layer layer) => new() { ["class_name"] = layer.TypeName, ["config"] = layer.GetConfig() };

    /// <summary>How each layer class is rebuilt from its config: one line per class, next to nothing else.</summary>
    private static readonly Dictionary<string, Func<ConfigReader, string?, Shape?, Layer>> Factories = new()
    {
        ["Conv2D"] = (r, name, shape) => new Conv2D(r.Int("filters", 1, 65536), r.Pair("kernel_size", 1, 64),
            r.Enum<Activation>("activation"), r.Enum<Padding>("padding"), name, shape,
            r.Has("strides") ? r.Pair("strides", 1, 64) : (1, 1), !r.Has("use_bias") || r.Bool("use_bias")),
        ["MaxPooling2D"] = (r, name, shape) => new MaxPool2D(r.Pair("pool_size", 1, 64), r.Pair("strides", 1, 64), name, shape),
        ["Flatten"] = (r, name, shape) => new Flatten(name, shape),
        ["Dense"] = (r, name, shape) => new Dense(r.Int("units", 1, 1 << 20), r.Enum<Activation>("activation"), name, shape, !r.Has("use_bias") || r.Bool("use_bias")),
        ["ReLU"] = (r, name, shape) => new ReLU(name, shape),
        ["Softmax"] = (r, name, shape) => new Layers.Softmax(name, shape),
        ["Add"] = (r, name, shape) => new Add(name),
        ["Concatenate"] = (r, name, shape) => new Concatenate(name),
        ["GlobalAveragePooling2D"] = (r, name, shape) => new GlobalAveragePooling2D(name, shape),
        ["Rescaling"] = (r, name, shape) => new Rescaling(r.Float("scale"), r.Float("offset"), name, shape),
        ["Normalization"] = (r, name, shape) => new Normalization(r.Int("channels", 1, 65536), name, shape),
        ["BatchNormalization"] = (r, name, shape) => new BatchNormalization(r.Float("momentum"), r.Float("epsilon"), r.Bool("center"), r.Bool("scale"), name, shape),
        ["GELU"] = (r, name, shape) => new Gelu(name, shape),
        ["Dropout"] = (r, name, shape) => new Dropout(r.Float("rate"), name, shape),
        ["ZeroPadding2D"] = (r, name, shape) => new ZeroPadding2D(r.Pair("padding_height", 0, 65536).Item1, r.Pair("padding_height", 0, 65536).Item2, r.Pair("padding_width", 0, 65536).Item1, r.Pair("padding_width", 0, 65536).Item2, r.Float("value"), name, shape),
    };

    public static Layer FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject obj || AsString(obj["class_name"]) is not { } type || obj["config"] is not JsonObject config)
            throw new InvalidDataFileException($"{source}: each layer must be an object with a class_name string and a config object");
        var reader = new ConfigReader(config, source, type);
        string? name = reader.OptionalString("name");
        Shape? inputShape = reader.OptionalShape("input_shape");
        try
        {
            return Factories.TryGetValue(type, out var factory) ? factory(reader, name, inputShape)
                : throw new InvalidDataFileException($"{source}: unknown layer class {SafeTensorsText.Quote(type)}");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: layer {type}: {e.Message}");
        }
    }

    /// <summary>The text of a JSON string, or null for anything else (GetValue on a number would throw).</summary>
    private static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;

    internal readonly struct ConfigReader(JsonObject config, string source, string type)
    {
        private InvalidDataFileException Bad(string key, string what) =>
            new($"{source}: layer {type}: '{key}' must be {what}; got {(config[key] is { } got ? SafeTensorsText.Escape(got.ToJsonString(), 64) : "nothing")}");

        public int Int(string key, int min, int max)
        {
            if (config[key] is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max) return i;
            throw Bad(key, $"an integer in [{min}, {max}]");
        }

        public bool Has(string key) => config[key] is not null;

        public float Float(string key)
        {
            if (config[key] is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) && Math.Abs(d) <= 1e30) return (float)d;
            throw Bad(key, "a finite number");
        }

        public bool Bool(string key)
        {
            if (config[key] is JsonValue v && v.TryGetValue(out bool b)) return b;
            throw Bad(key, "true or false");
        }

        public (int, int) Pair(string key, int min, int max)
        {
            if (config[key] is JsonArray { Count: 2 } a && a[0] is JsonValue x && x.TryGetValue(out int h) && a[1] is JsonValue y && y.TryGetValue(out int w)
                && h >= min && h <= max && w >= min && w <= max)
                return (h, w);
            throw Bad(key, $"two integers in [{min}, {max}]");
        }

        public T Enum<T>(string key) where T : struct, System.Enum
        {
            if (AsString(config[key]) is { } s && System.Enum.TryParse<T>(s, ignoreCase: true, out var e) && System.Enum.IsDefined(e)
                && !int.TryParse(s, out _))
                return e;
            throw Bad(key, $"one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
        }

        public string? OptionalString(string key)
        {
            if (config[key] is null) return null;
            if (AsString(config[key]) is { } s && s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                return s;
            throw Bad(key, "a name of 1 to 128 letters, digits, '_', '-' or '.'");
        }

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
    }
}
