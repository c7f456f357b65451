using System.Text.Json.Nodes;
using Fovea.IO;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Reads a functional model's architecture: its inputs (name and shape) and its layers in topological order, each
/// naming the inputs or earlier layers it is called on. Strict, as the JSON may come from a stranger's file.
/// </summary>
internal static class FunctionalArchitecture
{
    public static Model Parse(JsonObject architecture, JsonArray layers, string source)
    {
        if (architecture["inputs"] is not JsonArray { Count: >= 1 and <= 16 } inputs)
            throw new InvalidDataFileException($"{source}: a functional architecture must list 1 to 16 inputs");
        var tensors = new Dictionary<string, SymbolicTensor>(StringComparer.Ordinal);
        var modelInputs = new List<Input>();
        try
        {
            foreach (var node in inputs)
            {
                if (node is not JsonObject i || i["name"] is not JsonValue nv || !nv.TryGetValue(out string? name) || name is null)
                    throw new InvalidDataFileException($"{source}: each input must be an object with a name and a shape");
                var shape = ParseShape(i["shape"]) ?? throw new InvalidDataFileException($"{source}: input '{SafeTensorsText.Escape(name, 64)}' must have a shape of 1 to 4 positive integers");
                var input = new Input(shape, name);
                if (!tensors.TryAdd(name, input)) throw new InvalidDataFileException($"{source}: input name '{SafeTensorsText.Escape(name, 64)}' is used twice");
                modelInputs.Add(input);
            }
            SymbolicTensor? last = null;
            foreach (var node in layers)
            {
                var layer = LayerRegistry.FromJson(node, source);
                if (layer.Name is null) throw new InvalidDataFileException($"{source}: each layer of a functional model must have a name");
                if (node!["inbound"] is not JsonArray { Count: >= 1 and <= 64 } inbound)
                    throw new InvalidDataFileException($"{source}: layer '{layer.Name}' must list 1 to 64 inbound names");
                var args = new SymbolicTensor[inbound.Count];
                for (int k = 0; k < args.Length; k++)
                {
                    if (inbound[k] is not JsonValue v || !v.TryGetValue(out string? from) || from is null || !tensors.TryGetValue(from, out var t))
                        throw new InvalidDataFileException($"{source}: layer '{layer.Name}' is called on {(inbound[k] is { } x ? SafeTensorsText.Escape(x.ToJsonString(), 64) : "nothing")}, which is not an input or an earlier layer");
                    args[k] = t;
                }
                last = layer.Call(args);
                if (!tensors.TryAdd(layer.Name, last)) throw new InvalidDataFileException($"{source}: layer name '{layer.Name}' is used twice");
            }
            string name0 = architecture["name"] is JsonValue n && n.TryGetValue(out string? s) && s is { Length: > 0 and <= 128 } ? s : "functional";
            return new Model(modelInputs, last!, name0);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture does not fit together: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture does not fit together: {e.Message}");
        }
    }

    private static Shape? ParseShape(JsonNode? node)
    {
        if (node is not JsonArray { Count: >= 1 and <= 4 } a) return null;
        var dims = new int[a.Count];
        for (int i = 0; i < dims.Length; i++)
            if (a[i] is not JsonValue v || !v.TryGetValue(out dims[i]) || dims[i] < 1 || dims[i] > 1 << 16) return null;
        return dims.Aggregate(1L, (p, d) => p * d) <= 1 << 26 ? new Shape(dims) : null;
    }
}
