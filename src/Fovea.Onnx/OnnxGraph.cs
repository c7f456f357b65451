using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// An ONNX graph being written: nodes in the order they are added (already topological), float initializers and
/// unique value names. Each helper adds one node and returns the name of its output.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public GraphProto Proto { get; } = new();

    /// <summary><paramref name="stem"/>, or <c>stem_1</c>, <c>stem_2</c> … if taken: ONNX needs each value name once.</summary>
    public string Unique(string stem)
    {
        if (_names.Add(stem)) return stem;
        for (int i = 1; ; i++)
            if (_names.Add($"{stem}_{i}")) return $"{stem}_{i}";
    }

    /// <summary>Adds a node with one output named after <paramref name="output"/>; returns the output's name.</summary>
    public string Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string name = Unique(output);
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return name;
    }

    /// <summary>A float32 weight of shape <paramref name="dims"/> (empty for a scalar), stored little-endian as raw data.</summary>
    public string Initializer(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values)
    {
        long size = 1;
        foreach (long d in dims) size *= d;
        if (size != values.Length) throw new ArgumentException($"values must hold {size} floats for dims [{string.Join(", ", dims.ToArray())}]; got {values.Length}", nameof(values));
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims.ToArray());
        tensor.RawData = ByteString.CopyFrom(LittleEndian(values));
        Proto.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A 1-d int64 constant (a Pad's pads), stored in the typed field.</summary>
    public string Int64Initializer(string name, long[] values)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Proto.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A scalar float constant, shared by every node that uses the same value.</summary>
    public string Scalar(string name, float value)
    {
        string key = $"{name}={BitConverter.SingleToInt32Bits(value)}";
        if (!_constants.TryGetValue(key, out var existing)) _constants[key] = existing = Initializer(name, [], [value]);
        return existing;
    }

    /// <summary>
    /// Gives <paramref name="value"/> the public name <paramref name="name"/> (reserved with <see cref="Unique"/>): the
    /// node that produces it is renamed, or, for a graph input passed straight through, an Identity node is added.
    /// </summary>
    public void Publish(string value, string name)
    {
        var producer = Proto.Node.LastOrDefault(n => n.Output.Contains(value));
        if (producer is null)
        {
            var identity = new NodeProto { OpType = "Identity", Name = name };
            identity.Input.Add(value);
            identity.Output.Add(name);
            Proto.Node.Add(identity);
            return;
        }
        foreach (var n in Proto.Node)
            for (int i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == value) n.Input[i] = name;
        producer.Output[producer.Output.IndexOf(value)] = name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A dense float32 tensor type whose first dimension is the symbolic batch size.</summary>
    public static ValueInfoProto BatchTensor(string name, string batch, IEnumerable<int> sampleDims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (int d in sampleDims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    // ONNX raw data is little-endian whatever the machine.
    private static ReadOnlySpan<byte> LittleEndian(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) return MemoryMarshal.AsBytes(values);
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return bytes;
    }
}
