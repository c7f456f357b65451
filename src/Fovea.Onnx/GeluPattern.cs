using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// GELU written out with opset-17 operators, as Fovea's exporter (and PyTorch's) writes it:
/// Div(x, √2) → Erf → Add(·, 1) → Mul(x, ·) → Mul(·, 0.5), in either operand order, each step the only reader of the
/// step before. It is imported as one GELU layer; an Erf outside this pattern has no Fovea form.
/// </summary>
internal static class GeluPattern
{
    /// <summary>The five nodes from the Div on, if <paramref name="div"/> starts the pattern; else null.</summary>
    public static NodeProto[]? Match(ImportGraph graph, NodeProto div)
    {
        if (div.OpType != "Div" || div.Input.Count != 2 || !IsScalar(graph, div.Input[1], MathF.Sqrt(2))) return null;
        string x = div.Input[0];
        if (graph.SoleConsumer(div.Output[0]) is not { OpType: "Erf" } erf) return null;
        if (graph.SoleConsumer(erf.Output[0]) is not { OpType: "Add" } add || Other(add, erf.Output[0]) is not { } one || !IsScalar(graph, one, 1f)) return null;
        if (graph.SoleConsumer(add.Output[0]) is not { OpType: "Mul" } mul || Other(mul, add.Output[0]) != x) return null;
        if (graph.SoleConsumer(mul.Output[0]) is not { OpType: "Mul" } half || Other(half, mul.Output[0]) is not { } h || !IsScalar(graph, h, 0.5f)) return null;
        return [div, erf, add, mul, half];
    }

    /// <summary>Every node that belongs to a GELU pattern of the graph.</summary>
    public static HashSet<NodeProto> AllNodes(ImportGraph graph)
    {
        var nodes = new HashSet<NodeProto>();
        foreach (var node in graph.Nodes)
            if (Match(graph, node) is { } match) nodes.UnionWith(match);
        return nodes;
    }

    private static string? Other(NodeProto node, string value) =>
        node.Input.Count != 2 ? null : node.Input[0] == value ? node.Input[1] : node.Input[1] == value ? node.Input[0] : null;

    private static bool IsScalar(ImportGraph graph, string name, float value)
    {
        if (!graph.Initializers.TryGetValue(name, out var t) || t.DataType != (int)TensorProto.Types.DataType.Float) return false;
        try
        {
            var v = OnnxTensorData.Floats(t, name, external: null);
            return v.Length == 1 && MathF.Abs(v[0] - value) <= 1e-6f * value;
        }
        catch (FoveaException)
        {
            return false;
        }
    }
}
