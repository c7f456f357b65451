using Google.Protobuf;
using Onnx;

namespace Fovea.Tests.Onnx;

/// <summary>Writes small ONNX models inside the tests: one input, one output, nodes and float or int64 initializers.</summary>
internal sealed class OnnxTestGraph
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly Rng _rng;
    private int _names;

    public OnnxTestGraph(long seed = 1) => _rng = Rng.For(seed, "onnx-test-graph");

    public int Opset { get; set; } = 17;

    /// <summary>The graph's input, float32 with a batch axis "N" first (or the given dims, a string for a symbolic one).</summary>
    public string Input(string name, params object[] dims)
    {
        _graph.Input.Add(Tensor(name, dims));
        return name;
    }

    public void Output(string name, params object[] dims) => _graph.Output.Add(Tensor(name, dims));

    /// <summary>An initializer of the given values, or of random values in [−0.5, 0.5) when <paramref name="values"/> is null.</summary>
    public string Weight(long[] dims, float[]? values = null, string? name = null)
    {
        long size = dims.Aggregate(1L, (p, d) => p * d);
        values ??= Enumerable.Range(0, (int)size).Select(_ => _rng.NextSingle() - 0.5f).ToArray();
        var t = new TensorProto { Name = name ?? $"w{_names++}", DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Positive values in [0.5, 1.5): variances, scales.</summary>
    public string Positive(params long[] dims) =>
        Weight(dims, Enumerable.Range(0, (int)dims.Aggregate(1L, (p, d) => p * d)).Select(_ => 0.5f + _rng.NextSingle()).ToArray());

    public string Longs(params long[] values)
    {
        var t = new TensorProto { Name = $"i{_names++}", DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Adds a node; returns its (first) output's name.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => NodeNamed(op, $"{op.ToLowerInvariant()}{_names++}", inputs, attributes);

    public string NodeNamed(string op, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return name;
    }

    public GraphProto Graph => _graph;

    public ModelProto Model()
    {
        var model = new ModelProto { IrVersion = 8, Graph = _graph, ProducerName = "tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    public byte[] Bytes() => Model().ToByteArray();

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto Tensor(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
