using Fovea.Layers;
using Fovea.Models;
using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Turns the nodes of a checked <see cref="ImportGraph"/> into Fovea layers called on symbolic tensors, in
/// topological order. Constants (initializers, Constant nodes) become the weights of the layers that read them; they
/// are kept aside with their layer and written after the model is built. A node followed by its only reader is
/// merged with it where Fovea has the pair as one layer (Conv + Relu, Gemm + Relu/Softmax, MatMul + Add).
/// </summary>
internal sealed partial class NodeImporter
{
    private readonly ImportGraph _graph;
    private readonly string _source;
    private readonly int _opset;
    private readonly OnnxExternalData? _external;
    private readonly Dictionary<string, ImportedValue> _values = new(StringComparer.Ordinal);
    private readonly HashSet<NodeProto> _merged = [];
    private readonly List<(Layer Layer, string Name, float[] Values)> _weights = [];

    private readonly Shape? _inputShape;

    public NodeImporter(ImportGraph graph, string source, int opset, OnnxExternalData? external, Shape? inputShape)
    {
        _inputShape = inputShape;
        _graph = graph;
        _source = source;
        _opset = opset;
        _external = external;
    }

    /// <summary>
    /// The AveragePool nodes (by output) that average the whole map at the file's own input size: with another size
    /// given, they stay global average pooling, as the network was meant to run.
    /// </summary>
    public IReadOnlySet<string>? GlobalPools { get; init; }

    private readonly HashSet<string> _globalPools = new(StringComparer.Ordinal);

    /// <summary>Translates every node at the file's input size and returns the AveragePools that cover the whole map there.</summary>
    public IReadOnlySet<string> FindGlobalPools()
    {
        TranslateAll();
        return _globalPools;
    }

    private Input TranslateAll()
    {
        var input = GraphInput();
        foreach (var node in _graph.Nodes)
            if (!_merged.Contains(node)) Translate(node);
        return input;
    }

    /// <summary>Builds the model: its input is the graph's input in Fovea's channels-last order.</summary>
    public Model Import(string name)
    {
        var input = TranslateAll();
        var output = Value(_graph.Output);
        if (output.IsConstant) throw Refuse($"the graph's output {OnnxText.Quote(_graph.Output)} is a constant");
        if (output.FlattenedFrom is { } from && from[0] * from[1] > 1)
            throw Refuse("the graph's output flattens a channels-first map, whose feature order Fovea's channels-last Flatten does not keep");
        if (output.Tensor == input) throw Refuse("the graph's output is its input");
        var model = new Model(input, output.Tensor!, name);
        model.Build();
        foreach (var (layer, weight, values) in _weights)
            values.CopyTo(layer.Weights.Single(w => w.Name == weight).Value);
        return model;
    }

    private Input GraphInput()
    {
        var type = _graph.Input.Type?.TensorType;
        string name = OnnxText.Quote(_graph.Input.Name);
        if (type is null || type.ElemType != (int)TensorProto.Types.DataType.Float)
            throw Refuse($"the graph's input {name} is not a float32 tensor");
        var dims = type.Shape?.Dim.ToList() ?? [];
        if (dims.Count is not (2 or 4))
            throw Refuse($"the graph's input {name} has {dims.Count} axes; images [N, C, H, W] or [N, H, W, C] and vectors [N, F] are supported");
        var layout = dims.Count == 2 ? ImportedLayout.Flat : ReadChannelsLast(_graph.Input.Name) ? ImportedLayout.ChannelsLast : ImportedLayout.ChannelsFirst;
        // Fovea's axis (of the sample) for each ONNX axis after the batch.
        int[] foveaAxis = layout == ImportedLayout.ChannelsFirst ? [2, 0, 1] : dims.Count == 2 ? [0] : [0, 1, 2];
        int channelAxis = layout == ImportedLayout.ChannelsFirst ? 1 : dims.Count - 1;
        if (_inputShape is { } given && given.Rank != dims.Count - 1)
            throw Refuse($"the input shape {given} has {given.Rank} axes; the graph's input {name} has {dims.Count - 1} besides the batch");
        var sample = new int[dims.Count - 1];
        for (int i = 1; i < dims.Count; i++)
        {
            bool fixedSize = dims[i].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue;
            int? wanted = _inputShape?[foveaAxis[i - 1]];
            if (fixedSize && (dims[i].DimValue is < 1 or > 1 << 16 || (wanted is { } w && w != dims[i].DimValue && i == channelAxis)))
                throw Refuse($"the graph's input {name} has axis {i} of size {dims[i].DimValue}{(wanted is null ? "; sizes in [1, 65536] are supported" : $", not {wanted}")}");
            if (!fixedSize && wanted is null)
                throw Refuse($"the graph's input {name} has axis {i} of size {Describe(dims[i])}; give the input shape to fix every axis but the batch");
            sample[foveaAxis[i - 1]] = wanted ?? (int)dims[i].DimValue;
        }
        if (sample.Aggregate(1L, (p, d) => p * d) > 1 << 26) throw Refuse($"the graph's input {name} has more than 2^26 values per sample");
        var input = new Input(new Shape(sample));
        _values[_graph.Input.Name] = ImportedValue.Of(input, layout);
        return input;
    }

    /// <summary>
    /// Whether an image input is [N, H, W, C], as a graph written from an NHWC framework (Fovea's exporter among
    /// them) takes it: every path from it through element-wise nodes ends in a Transpose to channels-first.
    /// </summary>
    private bool ReadChannelsLast(string input)
    {
        var pending = new Stack<string>([input]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { input };
        bool transposed = false;
        while (pending.TryPop(out var value))
            foreach (var node in _graph.Consumers(value))
            {
                if (node.OpType == "Transpose" && Perm(node) is [0, 3, 1, 2]) transposed = true;
                else if (node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Sum" or "Relu" or "Clip" or "Identity" or "Dropout")
                {
                    if (node.Output.Count > 0 && seen.Add(node.Output[0])) pending.Push(node.Output[0]);
                }
                else return false;
            }
        return transposed;
    }

    private static string Describe(TensorShapeProto.Types.Dimension d) =>
        d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? OnnxText.Quote(d.DimParam) : "unknown";

    private void Translate(NodeProto node)
    {
        var result = node.OpType switch
        {
            "Constant" => ConstantNode(node),
            "Identity" or "Dropout" => Value(node.Input[0]),
            "Conv" => Convolution(node),
            "BatchNormalization" => BatchNorm(node),
            "MaxPool" => MaxPool(node),
            "AveragePool" => AveragePool(node),
            "GlobalAveragePool" => GlobalAveragePool(node),
            "Pad" => Pad(node),
            "Relu" or "Clip" => Unary(node, new ReLU()),
            "Gelu" => Unary(node, new Gelu()),
            "Div" when GeluPattern.Match(_graph, node) is { } gelu => GeluNodes(gelu),
            "Add" or "Sum" or "Mean" or "Sub" or "Mul" or "Div" => Arithmetic(node),
            "Concat" => Concat(node),
            "Flatten" => Flatten(node, Value(node.Input[0])),
            "Reshape" => Reshape(node),
            "Gemm" => Gemm(node),
            "MatMul" => MatMul(node),
            "Softmax" => SoftmaxNode(node),
            "Transpose" => Transpose(node),
            _ => throw Refuse($"node {OnnxText.Quote(node.Name)}: operator {OnnxText.Quote(node.OpType)} has no Fovea form"),
        };
        _values[node.Output[0]] = result;
    }

    /// <summary>The value named <paramref name="name"/>: computed before, or an initializer read now.</summary>
    private ImportedValue Value(string name)
    {
        if (_values.TryGetValue(name, out var v)) return v;
        if (_graph.Initializers.TryGetValue(name, out var t))
            return _values[name] = ImportedValue.Const(OnnxTensorData.Floats(t, $"{_source}: initializer {OnnxText.Quote(name)}", _external), OnnxTensorData.Dims(t, name));
        throw new InvalidDataFileException($"{_source}: value {OnnxText.Quote(name)} is used before it is computed");
    }

    /// <summary>A value that must be computed (a tensor), not a constant.</summary>
    private ImportedValue Tensor(NodeProto node, int input)
    {
        if (node.Input.Count <= input || node.Input[input].Length == 0) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) lacks input {input}");
        var v = Value(node.Input[input]);
        return v.IsConstant ? throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): input {input} is a constant; only computed values are supported there") : v;
    }

    /// <summary>A constant input (weights), or null if the input is absent.</summary>
    private ImportedValue? Constant(NodeProto node, int input, bool required = true)
    {
        if (node.Input.Count <= input || node.Input[input].Length == 0)
            return required ? throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) lacks input {input}") : null;
        var v = Value(node.Input[input]);
        return v.IsConstant ? v : throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): input {input} is computed; only constant weights are supported there");
    }

    private ImportedValue ConstantNode(NodeProto node)
    {
        var t = new OnnxAttributes(node, _source).Tensor("value") ?? throw Refuse($"node {OnnxText.Quote(node.Name)} (Constant) has no tensor 'value'");
        string what = $"{_source}: node {OnnxText.Quote(node.Name)} (Constant)";
        return ImportedValue.Const(OnnxTensorData.Floats(t, what, _external), OnnxTensorData.Dims(t, what));
    }

    /// <summary>Calls <paramref name="layer"/> on the node's first input, keeping the layout; weights to set after Build follow.</summary>
    private ImportedValue Call(Layer layer, ImportedValue x, ImportedLayout layout, params (string Name, float[] Values)[] weights)
    {
        foreach (var (name, values) in weights) _weights.Add((layer, name, values));
        try
        {
            return ImportedValue.Of(Checked(layer.Call(x.Tensor!)), layout, x.FlattenedFrom);
        }
        catch (ArgumentException e)
        {
            throw Refuse($"layer {layer.TypeName} on {x.OnnxShape}: {e.Message}");
        }
    }

    /// <summary>At most 2^26 values per sample in any activation, as for the input.</summary>
    private SymbolicTensor Checked(SymbolicTensor y) =>
        y.Shape.Size <= 1 << 26 ? y : throw Refuse($"a layer's output {y.Shape} holds more than 2^26 values per sample");

    private ImportedValue Unary(NodeProto node, Layer layer)
    {
        var x = Tensor(node, 0);
        return Call(layer, x, x.Layout);
    }

    private ImportedValue GeluNodes(NodeProto[] nodes)
    {
        _merged.UnionWith(nodes);
        var x = Tensor(nodes[0], 0);
        var y = Call(new Gelu(), x, x.Layout);
        _values[nodes[^1].Output[0]] = y;
        return y;
    }

    /// <summary>The node that reads <paramref name="node"/>'s output alone, if it has the given type; it is merged.</summary>
    private NodeProto? MergeNext(NodeProto node, params string[] opTypes)
    {
        if (_graph.SoleConsumer(node.Output[0]) is not { } next || !opTypes.Contains(next.OpType) || next.Input.Count == 0 || next.Input[0] != node.Output[0]) return null;
        _merged.Add(next);
        return next;
    }

    private static long[]? Perm(NodeProto node) => node.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints.ToArray();

    private FoveaException Refuse(string message) => new($"{_source}: {message}");
}
