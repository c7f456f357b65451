using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Fovea.IO;
using Fovea.Models;
using Google.Protobuf;
using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Writes a Fovea model as a standard ONNX model (opset 17) that takes exactly what <c>Model.Predict</c> takes and
/// returns what it returns: input <c>images</c>, float32 [N, H, W, C] pixels in [0, 1]; output <c>probabilities</c>,
/// float32 [N, classes]; the class names, in order, as a JSON array of strings in the metadata property
/// <c>class_names</c>. Layers that ONNX computes channels-first (Conv, pooling, BatchNormalization
/// of images) get Transposes at the edges of their runs, so Flatten still reads (h, w, c) as Fovea's Dense expects.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graph uses: 17 (ONNX 1.12, 2022), which runtimes of the last years all read.</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with <see cref="Opset"/>.</summary>
    public const int IrVersion = 8;

    /// <summary>The graph's input: float32 [N, H, W, C] pixels in [0, 1].</summary>
    public const string InputName = "images";

    /// <summary>The graph's output: float32 [N, classes], what the model's last layer computes.</summary>
    public const string OutputName = "probabilities";

    /// <summary>The metadata property holding the class names as a JSON array of strings, in output order.</summary>
    public const string ClassNamesKey = "class_names";

    /// <summary>
    /// The metadata property holding the model's temperature (<c>Model.Temperature</c>), when it has one: the graph
    /// divides the logits by it (a <c>Div</c> before the final <c>Softmax</c>, or after the last layer of a model
    /// without one), so its output is what <c>Model.Predict</c> returns.
    /// </summary>
    public const string TemperatureKey = "temperature";

    /// <summary>Name of the batch dimension of the input and the output.</summary>
    public const string BatchDimension = "N";

    /// <summary>The layer types (Keras names) that have an ONNX form.</summary>
    public static IReadOnlyList<string> SupportedLayers => LayerTranslation.SupportedTypes;

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically (old file or complete new one). Class names
    /// default to "0", "1", … as a model file without names loads. Throws <see cref="ArgumentException"/> naming the
    /// first layer that has no ONNX form.
    /// </summary>
    public static void Save(Model model, string path, IReadOnlyList<string>? classNames = null)
    {
        var proto = ToProto(model, classNames);
        AtomicFile.Write(path, stream => proto.WriteTo(stream));
    }

    /// <summary>The ONNX model as bytes (a serialised <c>ModelProto</c>).</summary>
    public static byte[] ToBytes(Model model, IReadOnlyList<string>? classNames = null) => ToProto(model, classNames).ToByteArray();

    internal static ModelProto ToProto(Model model, IReadOnlyList<string>? classNames)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        if (model.Inputs.Count != 1)
            throw new ArgumentException($"ONNX export takes models with one input, like Predict; this one has {model.Inputs.Count}", nameof(model));
        var unsupported = model.Nodes.Select(n => n.Layer).FirstOrDefault(l => !LayerTranslation.IsSupported(l));
        if (unsupported is not null)
            throw new ArgumentException($"layer '{unsupported.Name}' ({unsupported.TypeName}) has no ONNX form; export supports {string.Join(", ", SupportedLayers)}", nameof(model));
        int classes = model.OutputShape[^1];
        var names = classNames ?? Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (names.Count != classes || names.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"classNames must hold {classes} non-empty names, one per output; got {names.Count}", nameof(classNames));

        var graph = new OnnxGraph();
        graph.Proto.Name = model.Name;
        // Reserved, so that no layer's output takes the public names.
        graph.Unique(InputName);
        graph.Unique(OutputName);
        graph.Proto.Input.Add(OnnxGraph.BatchTensor(InputName, BatchDimension, model.InputShape));
        var translation = new LayerTranslation(graph);
        var values = new ExportedValue?[model.ValueShapes.Count];
        values[0] = new ExportedValue(InputName, model.InputShape, InputName, null);
        foreach (var node in model.Nodes)
        {
            var inputs = node.Inputs.Select(v => values[v]!).ToArray();
            // The model's temperature divides the logits of its last layer, as Predict does.
            double? temperature = node == model.Nodes[^1] ? model.Temperature : null;
            values[node.Output] = translation.Translate(node.Layer, inputs, model.ValueShapes[node.Output], temperature,
                meanOfProbabilities: node == model.Nodes[^1] && model.AveragesProbabilities);
        }
        string output = translation.ChannelsLast(values[model.Nodes[^1].Output]!);
        graph.Publish(output, OutputName);
        graph.Proto.Output.Add(OnnxGraph.BatchTensor(OutputName, BatchDimension, model.OutputShape));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Fovea",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = $"Input '{InputName}': float32 [N, H, W, C] pixels in [0, 1]; output '{OutputName}': float32 [N, classes].",
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ClassNamesKey, Value = JsonSerializer.Serialize(names) });
        if (model.Temperature is { } t)
            proto.MetadataProps.Add(new StringStringEntryProto { Key = TemperatureKey, Value = t.ToString("R", CultureInfo.InvariantCulture) });
        return proto;
    }
}
