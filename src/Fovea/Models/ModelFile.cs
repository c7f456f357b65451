using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.IO;
using Fovea.Layers;
using Fovea.Losses;

namespace Fovea.Models;

/// <summary>
/// A trained model as one safetensors file: one F32 tensor per weight, named <c>layer/parameter</c>
/// (<c>conv2d/kernel</c>), and in <c>__metadata__</c> the architecture (Keras-like JSON) and the class names.
/// Loading checks every tensor against the declared architecture before any weight is used.
/// </summary>
public static class ModelFile
{
    /// <summary>The format of a Sequential model, recorded in the metadata: the architecture is the list of layers.</summary>
    public const string Format = "fovea.sequential";

    /// <summary>The format of a functional model: the architecture lists each layer's inputs.</summary>
    public const string FunctionalFormat = "fovea.functional";
    /// <summary>The version of the format; files of a later version are refused.</summary>
    public const int FormatVersion = 1;

    internal const string FormatKey = "format";
    internal const string VersionKey = "format_version";
    internal const string ArchitectureKey = "architecture";
    internal const string ClassNamesKey = "class_names";
    /// <summary>The loss the model was compiled with, as Keras keeps its compile config: so that evaluating a saved
    /// model reports the loss its training run reported (a recipe's label smoothing included).</summary>
    internal const string LossKey = "loss";

    /// <summary>The temperature <see cref="Model.Predict(Data.ImageSet, int, TestTimeAugmentation)"/> divides the logits by
    /// (<see cref="Model.Temperature"/>), as a number; absent when the model has none.</summary>
    internal const string TemperatureKey = "temperature";

    /// <summary>Saves the model's architecture and weights to <paramref name="path"/> atomically (Keras's <c>model.save</c>), with
    /// the class names, and the loss it was compiled with. Checkpoints add their own tensors and metadata through
    /// <paramref name="extraTensors"/> and <paramref name="extraMetadata"/>.</summary>
    public static void Save(Model model, string path, IReadOnlyList<string>? classNames = null,
        IEnumerable<NamedTensor>? extraTensors = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        var tensors = WeightTensors(model).Concat(extraTensors ?? []).ToList();
        var metadata = Metadata(model, classNames);
        foreach (var (k, v) in extraMetadata ?? new Dictionary<string, string>()) metadata[k] = v;
        SafeTensors.Write(path, tensors, metadata);
    }

    internal static IEnumerable<NamedTensor> WeightTensors(Model model) =>
        model.Layers.SelectMany(l => l.Weights.Select(p =>
        {
            var (values, _, offset) = p.Storage;
            return new NamedTensor(p.Path, p.Shape, values.AsMemory(offset, p.Length));
        }));

    internal static Dictionary<string, string> Metadata(Model model, IReadOnlyList<string>? classNames)
    {
        var architecture = new JsonObject
        {
            ["name"] = model.Name,
            ["input_shape"] = new JsonArray(model.InputShape.Select(d => (JsonNode)d).ToArray()),
        };
        if (model.IsFunctional)
        {
            var names = model.Inputs.Select(i => i.Name).Concat(model.Nodes.Select(n => n.Layer.Name!)).ToArray();
            architecture["inputs"] = new JsonArray(model.Inputs.Select(i => (JsonNode)new JsonObject
            {
                ["name"] = i.Name,
                ["shape"] = new JsonArray(i.Shape.Select(d => (JsonNode)d).ToArray()),
            }).ToArray());
            architecture["layers"] = new JsonArray(model.Nodes.Select(n =>
            {
                var layer = LayerRegistry.ToJson(n.Layer);
                layer["inbound"] = new JsonArray(n.Inputs.Select(v => (JsonNode)names[v]).ToArray());
                return (JsonNode)layer;
            }).ToArray());
        }
        else
        {
            architecture["layers"] = new JsonArray(model.Layers.Select(l => (JsonNode)LayerRegistry.ToJson(l)).ToArray());
        }
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = model.IsFunctional ? FunctionalFormat : Format,
            [VersionKey] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [ArchitectureKey] = architecture.ToJsonString(),
        };
        if (classNames is not null) metadata[ClassNamesKey] = JsonSerializer.Serialize(classNames);
        if (model.Temperature is { } temperature) metadata[TemperatureKey] = temperature.ToString("R", CultureInfo.InvariantCulture);
        if (model.Loss is SparseCategoricalCrossentropy loss)
            metadata[LossKey] = new JsonObject
            {
                ["name"] = loss.Name,
                ["from_logits"] = loss.FromLogits,
                ["label_smoothing"] = loss.LabelSmoothing,
                ["reduction"] = loss.Reduction == Reduction.Sum ? "sum" : "sum_over_batch_size",
            }.ToJsonString();
        return metadata;
    }

    /// <summary>The compiled loss a file records, or null when it records none.</summary>
    private static Loss? ParseLoss(string? json, string source)
    {
        if (json is null) return null;
        try
        {
            var o = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("not a JSON object");
            string? name = (string?)o["name"];
            if (name != "sparse_categorical_crossentropy") throw new FormatException($"unknown loss {SafeTensorsText.Quote(name ?? "")}");
            bool fromLogits = (bool?)o["from_logits"] ?? false;
            float smoothing = (float?)o["label_smoothing"] ?? 0f;
            var reduction = ((string?)o["reduction"] ?? "sum_over_batch_size") switch
            {
                "sum" => Reduction.Sum,
                "sum_over_batch_size" => Reduction.SumOverBatchSize,
                var r => throw new FormatException($"unknown reduction {SafeTensorsText.Quote(r)}"),
            };
            return new SparseCategoricalCrossentropy(fromLogits, smoothing, reduction);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataFileException($"{source}: the recorded loss is malformed ({e.Message})");
        }
    }

    /// <summary>The temperature a file records, or null when it records none.</summary>
    private static double? ParseTemperature(string? text, string source)
    {
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t > 0 && double.IsFinite(t)) return t;
        throw new InvalidDataFileException($"{source}: the temperature must be a positive number; got {SafeTensorsText.Quote(text)}");
    }

    /// <summary>Loads a model saved by <see cref="Save"/> (Keras's <c>load_model</c>), checking every tensor against the
    /// architecture; throws <see cref="InvalidDataFileException"/> naming the problem for a malformed file.</summary>
    public static SavedModel Load(string path)
    {
        var file = SafeTensors.Read(path);
        return Load(file, path);
    }

    internal static SavedModel Load(SafeTensorsFile file, string source)
    {
        var meta = file.Metadata;
        if (!meta.TryGetValue(FormatKey, out var format) || format is not (Format or FunctionalFormat))
            throw new InvalidDataFileException($"{source}: not a Fovea model (its metadata has no format '{Format}')");
        if (!meta.TryGetValue(VersionKey, out var v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new InvalidDataFileException($"{source}: format_version must be a positive integer; got {(v is null ? "nothing" : SafeTensorsText.Quote(v))}");
        if (version > FormatVersion)
            throw new InvalidDataFileException($"{source}: written by a newer Fovea (format version {version}; this one reads up to {FormatVersion})");
        var model = ParseArchitecture(meta.GetValueOrDefault(ArchitectureKey), source, functional: format == FunctionalFormat);
        Shape? input = model.IsFunctional ? null
            : model.Layers[0].DeclaredInputShape ?? throw new InvalidDataFileException($"{source}: the first layer has no input_shape");

        // Every weight is checked against the file before Build allocates it (twice: values and gradients) and
        // initialises it: a few bytes of JSON declaring a 60000x60000 Dense must be refused by what the file holds,
        // not by running out of memory.
        foreach (var (name, shape) in PlanWeights(model, input, source))
        {
            if (!file.TryGet(name, out var tensor))
                throw new InvalidDataFileException($"{source}: weight '{name}' is missing");
            if (tensor.DType != SafeTensorsDType.F32 || tensor.Shape != shape)
                throw new InvalidDataFileException($"{source}: weight '{name}' must be F32{shape} for this architecture; got {tensor.DType}{tensor.Shape}");
        }
        model.Build(input);
        var classNames = ParseClassNames(meta.GetValueOrDefault(ClassNamesKey), source, model.OutputShape[^1]);
        foreach (var layer in model.Layers)
            foreach (var p in layer.Weights)
                file[p.Path].GetData<float>().Span.CopyTo(p.Value);
        model.Temperature = ParseTemperature(meta.GetValueOrDefault(TemperatureKey), source);
        return new SavedModel(model, classNames, file, ParseLoss(meta.GetValueOrDefault(LossKey), source));
    }

    /// <summary>
    /// Most values one layer may output, or hold as scratch, per sample (256 MB of floats), as <see cref="ConfigReader"/>
    /// caps the input shape: a model that loads can also predict.
    /// </summary>
    internal const long MaxValuesPerSample = 1 << 26;

    /// <summary>Most weights a model may have (1 GiB of floats).</summary>
    internal const long MaxWeights = 1L << 28;

    /// <summary>The layers the architecture JSON declares, not yet built.</summary>
    private static Model ParseArchitecture(string? json, string source, bool functional)
    {
        if (json is null) throw new InvalidDataFileException($"{source}: the metadata has no architecture");
        JsonNode? root;
        try
        {
            root = MetadataJson.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture is not valid JSON ({MetadataJson.Reason(e)})");
        }
        if (root is not JsonObject obj || obj["layers"] is not JsonArray { Count: >= 1 and <= MaxLayers } layers)
            throw new InvalidDataFileException($"{source}: the architecture must have 1 to {MaxLayers} layers");
        if (!functional) return new Sequential(layers.Select(l => LayerRegistry.FromJson(l, source))) { Name = "sequential" };
        return FunctionalArchitecture.Parse(obj, layers, source);
    }

    /// <summary>Most layers a model file may declare: an ensemble of sixteen ResNet-18s has about 1,100.</summary>
    internal const int MaxLayers = 4096;

    /// <summary>
    /// The name and shape of every weight the model would create for <paramref name="input"/>, found by walking the
    /// layers' output shapes without building anything; refuses layers that do not fit together or are too large.
    /// </summary>
    private static List<(string Name, Shape Shape)> PlanWeights(Model model, Shape? input, string source)
    {
        var weights = new List<(string, Shape)>();
        long count = 0;
        try
        {
            foreach (var (layer, inputs, _) in model.PlanShapes(input))
            {
                Shape output = layer.ComputeOutputShape(inputs); // first: it validates the input shapes WeightShapes reads
                if (output.Size > MaxValuesPerSample)
                    throw new InvalidDataFileException(
                        $"{source}: layer {layer} outputs {output} = {SafeTensorsText.N(output.Size)} values per sample, more than Fovea runs (at most {SafeTensorsText.N(MaxValuesPerSample)})");
                if (layer.ScratchPerSample(inputs) is var scratch && scratch > MaxValuesPerSample)
                    throw new InvalidDataFileException(
                        $"{source}: layer {layer} needs {SafeTensorsText.N(scratch)} values of scratch per sample for input {inputs[0]}, more than Fovea runs (at most {SafeTensorsText.N(MaxValuesPerSample)})");
                foreach (var (name, weight) in layer.WeightShapes(inputs))
                {
                    weights.Add(($"{layer.Name}/{name}", weight));
                    count += weight.Size;
                }
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: the architecture does not fit together: {e.Message}");
        }
        catch (OverflowException)
        {
            throw new InvalidDataFileException($"{source}: the architecture's shapes grow beyond what Fovea runs");
        }
        if (count > MaxWeights)
            throw new InvalidDataFileException($"{source}: the architecture declares {SafeTensorsText.N(count)} weights, more than Fovea loads (at most {SafeTensorsText.N(MaxWeights)})");
        return weights;
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
/// <param name="Loss">The loss the model was compiled with when it was saved, or null: compile with it to report the
/// loss its training reported.</param>
/// <param name="Model">The model, built and holding the saved weights.</param>
/// <param name="ClassNames">The class names, in label order.</param>
/// <param name="File">The file as read, with any extra tensors and metadata.</param>
public sealed record SavedModel(Model Model, IReadOnlyList<string> ClassNames, SafeTensorsFile File, Loss? Loss = null);
