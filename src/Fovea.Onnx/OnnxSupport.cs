using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Which ONNX nodes have a Fovea form, decided from operator types and attributes before any layer is made, so that
/// a refusal names every unsupported node at once rather than the first one met.
/// </summary>
internal static class OnnxSupport
{
    /// <summary>The operators of the default domain that import (Erf only inside GELU's pattern).</summary>
    public static readonly IReadOnlyList<string> Operators =
    [
        "Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Add", "Sum", "Mean", "Sub",
        "Mul", "Div", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Softmax", "Transpose", "Identity", "Dropout",
        "Constant", "Gelu", "Erf", "Pad",
    ];

    /// <summary>One "'name' (Op: why)" for each node that cannot be imported.</summary>
    public static List<string> Unsupported(ImportGraph graph, string source)
    {
        var gelu = GeluPattern.AllNodes(graph);
        var problems = new List<string>();
        foreach (var node in graph.Nodes)
        {
            string? why = Problem(node, graph, gelu, source);
            if (why is not null) problems.Add($"{OnnxText.Quote(node.Name)} ({OnnxText.Quote(node.OpType)}{(why.Length > 0 ? ": " + why : "")})");
        }
        return problems;
    }

    private static string? Problem(NodeProto node, ImportGraph graph, HashSet<NodeProto> gelu, string source)
    {
        if (node.Domain is not ("" or "ai.onnx") || !Operators.Contains(node.OpType)) return "";
        var a = new OnnxAttributes(node, source);
        bool UsedOutput(int i) => node.Output.Count > i && node.Output[i].Length > 0 && graph.Consumers(node.Output[i]).Count + (node.Output[i] == graph.Output ? 1 : 0) > 0;
        switch (node.OpType)
        {
            case "Erf":
                return gelu.Contains(node) ? null : "outside the pattern of GELU";
            case "Conv":
                if (a.Int("group", 1) != 1) return $"group {a.Int("group", 1)}; only 1 is supported";
                if (a.Ints("dilations") is { } d && d.Any(v => v != 1)) return $"dilations [{string.Join(", ", d)}]; only 1 is supported";
                if (a.Ints("kernel_shape") is { Length: not 2 } k) return $"{k.Length}-d kernel; only 2-d is supported";
                return null;
            case "MaxPool" or "AveragePool":
                if (a.Ints("dilations") is { } pd && pd.Any(v => v != 1)) return $"dilations [{string.Join(", ", pd)}]; only 1 is supported";
                if (a.Ints("kernel_shape") is not { Length: 2 } pk) return "a 2-d kernel_shape is needed";
                if (a.Int("storage_order", 0) != 0) return "storage_order 1";
                if (UsedOutput(1)) return "its indices output is used";
                return null;
            case "BatchNormalization":
                if (a.Int("training_mode", 0) != 0) return "training_mode 1";
                if (a.Int("spatial", 1) != 1) return "spatial 0";
                return Enumerable.Range(1, Math.Max(0, node.Output.Count - 1)).Any(UsedOutput) ? "its running statistics outputs are used" : null;
            case "Gemm":
                return a.Int("transA", 0) != 0 ? "transA 1" : null;
            case "Clip":
                return ClipProblem(node, graph, a);
            case "Flatten":
                return a.Int("axis", 1) != 1 ? $"axis {a.Int("axis", 1)}; only 1 is supported" : null;
            case "Dropout":
                return UsedOutput(1) ? "its mask output is used" : null;
            case "Reshape":
                return node.Input.Count == 2 && (graph.Initializers.ContainsKey(node.Input[1]) || IsConstantNode(graph, node.Input[1]))
                    ? null : "its shape is computed, not a constant";
            case "Pad":
                if (a.String("mode", "constant") != "constant") return $"mode {OnnxText.Quote(a.String("mode", "constant"))}; only 'constant' is supported";
                if (node.Input.Count > 3 && node.Input[3].Length > 0) return "axes given";
                return node.Input.Skip(1).Take(2).All(i => i.Length == 0 || graph.Initializers.ContainsKey(i) || IsConstantNode(graph, i))
                    ? null : "its pads or value are computed, not constants";
            case "Gelu":
                return a.String("approximate", "none") != "none" ? "approximate 'tanh'" : null;
            default:
                return null;
        }
    }

    /// <summary>Clip(0, ∞) is ReLU; any other bound would need a layer Fovea lacks (ReLU6, hard tanh).</summary>
    private static string? ClipProblem(NodeProto node, ImportGraph graph, OnnxAttributes a)
    {
        float? min, max;
        if (a.Has("min") || a.Has("max"))
        {
            min = a.Float("min", float.MinValue);
            max = a.Float("max", float.MaxValue);
        }
        else
        {
            min = Bound(graph, node, 1, float.MinValue);
            max = Bound(graph, node, 2, float.MaxValue);
            if (min is null || max is null) return "its bounds are computed, not constants";
        }
        return min == 0 && max >= float.MaxValue ? null : $"bounds [{min}, {max}]; only [0, ∞) (ReLU) is supported";
    }

    private static float? Bound(ImportGraph graph, NodeProto node, int input, float fallback)
    {
        if (node.Input.Count <= input || node.Input[input].Length == 0) return fallback;
        if (!graph.Initializers.TryGetValue(node.Input[input], out var t)) return null;
        try
        {
            return OnnxTensorData.Floats(t, node.Input[input], external: null) is [var v] ? v : null;
        }
        catch (FoveaException)
        {
            return null;
        }
    }

    private static bool IsConstantNode(ImportGraph graph, string value) =>
        graph.Nodes.Any(n => n.OpType == "Constant" && n.Output.Contains(value));
}
