using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.Models;

namespace Fovea.Serialization;

/// <summary>
/// A trained model as one safetensors file: one F32 tensor per weight, named <c>layer/parameter</c>
/// (<c>conv2d/kernel</c>), and in <c>__metadata__</c> the architecture (Keras-like JSON) and the class names.
/// Loading checks every tensor against the declared architecture before any weight is used.
/// </summary>
public static class ModelFile
{
    public const string Format = "fovea.sequential";
    public const int FormatVersion = 1;

    internal const string FormatKey = "format";
    internal const string VersionKey = "format_version";
    internal const string ArchitectureKey = "architecture";
    internal const string ClassNamesKey = "class_names";

    public static void Save(Sequential model, string path, IReadOnlyList<string>? classNames = null,
        IEnumerable<NamedTensor>? extraTensors = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        var tensors = WeightTensors(model).Concat(extraTensors ?? []).ToList();
        var metadata = Metadata(model, classNames);
        foreach (var (k, v) in extraMetadata ?? new Dictionary<string, string>()) metadata[k] = v;
        SafeTensors.Write(path, tensors, metadata);
    }

    internal static IEnumerable<NamedTensor> WeightTensors(Sequential model) =>
        model.Layers.SelectMany(l => l.Parameters.Select(p =>
        {
            var (values, _, offset) = p.Storage;
            return new NamedTensor($"{l.Name}/{p.Name}", p.Shape, values.AsMemory(offset, p.Length));
        }));

    internal static Dictionary<string, string> Metadata(Sequential model, IReadOnlyList<string>? classNames)
    {
        var architecture = new JsonObject
        {
            ["name"] = model.Name,
            ["input_shape"] = new JsonArray(model.InputShape.Select(d => (JsonNode)d).ToArray()),
            ["layers"] = new JsonArray(model.Layers.Select(l => (JsonNode)LayerConfig.ToJson(l)).ToArray()),
        };
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = Format,
            [VersionKey] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [ArchitectureKey] = architecture.ToJsonString(),
        };
        if (classNames is not null) metadata[ClassNamesKey] = JsonSerializer.Serialize(classNames);
        return metadata;
    }

    public static SavedModel Load(string path)
    {
        var file = SafeTensors.Read(path);
        return Load(file, path);
    }

    internal static SavedModel Load(SafeTensorsFile file, string source)
    {
        var meta = file.Metadata;
        if (!meta.TryGetValue(FormatKey, out var format) || format != Format)
            throw new InvalidDataFileException($"{source}: not a Fovea model (its metadata has no format '{Format}')");
        if (!meta.TryGetValue(VersionKey, out var v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new InvalidDataFileException($"{source}: format_version must be a positive integer; got '{v}'");
        if (version > FormatVersion)
            throw new InvalidDataFileException($"{source}: written by a newer Fovea (format version {version}; this one reads up to {FormatVersion})");
        var model = BuildArchitecture(meta.GetValueOrDefault(ArchitectureKey), source);
        var classNames = ParseClassNames(meta.GetValueOrDefault(ClassNamesKey), source, model.OutputShape[^1]);

        var expected = new HashSet<string>();
        foreach (var layer in model.Layers)
            foreach (var p in layer.Parameters)
            {
                string name = $"{layer.Name}/{p.Name}";
                expected.Add(name);
                if (!file.TryGet(name, out var tensor))
                    throw new InvalidDataFileException($"{source}: weight '{name}' is missing");
                if (tensor.DType != SafeTensorsDType.F32 || tensor.Shape != p.Shape)
                    throw new InvalidDataFileException($"{source}: weight '{name}' must be F32{p.Shape} for this architecture; got {tensor.DType}{tensor.Shape}");
                tensor.GetData<float>().Span.CopyTo(p.Value);
            }
        return new SavedModel(model, classNames, file);
    }

    private static Sequential BuildArchitecture(string? json, string source)
    {
        if (json is null) throw new InvalidDataFileException($"{source}: the metadata has no architecture");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture is not valid JSON ({e.Message.Split('.')[0]})");
        }
        if (root is not JsonObject obj || obj["layers"] is not JsonArray { Count: >= 1 and <= 256 } layers)
            throw new InvalidDataFileException($"{source}: the architecture must have 1 to 256 layers");
        var model = new Sequential(layers.Select(l => LayerConfig.FromJson(l, source))) { Name = "sequential" };
        var input = model.Layers[0].DeclaredInputShape ?? throw new InvalidDataFileException($"{source}: the first layer has no input_shape");
        try
        {
            model.Build(input);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture does not fit together: {e.Message}");
        }
        if (model.ParameterCount > 1L << 28) throw new InvalidDataFileException($"{source}: the architecture declares {model.ParameterCount:N0} weights, more than Fovea loads");
        return model;
    }

    private static IReadOnlyList<string> ParseClassNames(string? json, string source, int classes)
    {
        if (json is null) return Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            names = null;
        }
        if (names is null || names.Length != classes || names.Any(string.IsNullOrWhiteSpace))
            throw new InvalidDataFileException($"{source}: class_names must be a JSON array of {classes} non-empty names");
        return names;
    }
}

/// <summary>A loaded model with its class names; <see cref="File"/> gives access to any extra tensors and metadata (checkpoints).</summary>
public sealed record SavedModel(Sequential Model, IReadOnlyList<string> ClassNames, SafeTensorsFile File);
