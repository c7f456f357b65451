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

    public static Layer FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject obj || obj["class_name"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || obj["config"] is not JsonObject config)
            throw new InvalidDataFileException($"{source}: each layer must be an object with a class_name string and a config object");
        string type = obj["class_name"]!.GetValue<string>();
        var reader = new ConfigReader(config, source, type);
        string? name = reader.OptionalString("name");
        Shape? inputShape = reader.OptionalShape("input_shape");
        try
        {
            return type switch
            {
                "Conv2D" => new Conv2D(reader.Int("filters", 1, 65536), reader.Pair("kernel_size", 1, 64),
                    reader.Enum<Activation>("activation"), reader.Enum<Padding>("padding"), name, inputShape),
                "MaxPooling2D" => new MaxPool2D(reader.Pair("pool_size", 1, 64), reader.Pair("strides", 1, 64), name, inputShape),
                "Flatten" => new Flatten(name, inputShape),
                "Dense" => new Dense(reader.Int("units", 1, 1 << 20), reader.Enum<Activation>("activation"), name, inputShape),
                "ReLU" => new ReLU(name, inputShape),
                "Softmax" => new Layers.Softmax(name, inputShape),
                _ => throw new InvalidDataFileException($"{source}: unknown layer class '{type}'"),
            };
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: layer {type}: {e.Message}");
        }
    }

    private readonly struct ConfigReader(JsonObject config, string source, string type)
    {
        private InvalidDataFileException Bad(string key, string what) => new($"{source}: layer {type}: '{key}' must be {what}; got {config[key]?.ToJsonString() ?? "nothing"}");

        public int Int(string key, int min, int max)
        {
            if (config[key] is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max) return i;
            throw Bad(key, $"an integer in [{min}, {max}]");
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
            if (config[key] is JsonValue v && v.TryGetValue(out string? s) && System.Enum.TryParse<T>(s, ignoreCase: true, out var e) && System.Enum.IsDefined(e)
                && !int.TryParse(s, out _))
                return e;
            throw Bad(key, $"one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
        }

        public string? OptionalString(string key)
        {
            if (config[key] is null) return null;
            if (config[key] is JsonValue v && v.TryGetValue(out string? s) && s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
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
