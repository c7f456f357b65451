using Fovea.Layers;
using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Add, Sum, Mean, Sub, Mul and Div: between computed values of one shape (Add, Sum, Mean), or of a computed value and a constant
/// that is one number (a <see cref="Rescaling"/>) or one number per channel (a <see cref="Normalization"/>: a mean to
/// subtract, a positive factor).
/// </summary>
internal sealed partial class NodeImporter
{
    private ImportedValue Arithmetic(NodeProto node)
    {
        var inputs = Enumerable.Range(0, node.Input.Count).Select(i => Value(node.Input[i])).ToList();
        if (inputs.Count == 0) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) has no inputs");
        if (inputs.All(v => !v.IsConstant))
        {
            if (node.OpType is not ("Add" or "Sum" or "Mean"))
                throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) of two computed values; only Add, Sum and Mean are supported between them");
            if (inputs.Count == 1) return inputs[0];
            var layout = inputs[0].Layout;
            if (inputs.Any(v => v.Layout != layout || v.FlattenedFrom != inputs[0].FlattenedFrom || v.Tensor!.Shape != inputs[0].Tensor!.Shape))
                throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) of {string.Join(" and ", inputs.Select(v => v.OnnxShape))}; only values of one shape are added");
            return Merge(node.OpType == "Mean" ? new Layers.Average() : new Layers.Add(), inputs, layout);
        }
        if (node.OpType == "Mean")
            throw Refuse($"node {OnnxText.Quote(node.Name)} (Mean) with a constant input; only the mean of computed values is supported");
        if (inputs.Count != 2 || inputs.All(v => v.IsConstant))
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) of {inputs.Count} inputs, {inputs.Count(v => v.IsConstant)} of them constant; one computed value and one constant are supported");
        bool constantFirst = inputs[0].IsConstant;
        var x = inputs[constantFirst ? 1 : 0];
        var k = inputs[constantFirst ? 0 : 1];
        var values = PerChannel(node, x, k);
        if (values.Length == 1) return Call(Scalar(node, values[0], constantFirst), x, x.Layout);
        if (constantFirst && node.OpType is "Sub" or "Div")
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): a per-channel constant {(node.OpType == "Sub" ? "minus" : "divided by")} a computed value");
        int c = values.Length;
        var (mean, variance) = node.OpType switch
        {
            "Add" or "Sum" => (values.Select(v => -v).ToArray(), Ones(c)),
            "Sub" => (values, Ones(c)),
            "Mul" when values.All(v => v > 0) => (new float[c], values.Select(v => 1 / (v * v)).ToArray()),
            "Div" when values.All(v => v > 0) => (new float[c], values.Select(v => v * v).ToArray()),
            _ => throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): per-channel factors must all be positive"),
        };
        if (variance.Any(v => !(v > 0) || !float.IsFinite(v)))
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): a per-channel factor too large or too small for a float");
        return Call(new Normalization(mean, variance), x, x.Layout);
    }

    private static float[] Ones(int c) => Enumerable.Repeat(1f, c).ToArray();

    /// <summary>x + k, x − k, k − x, x·k, x/k or k/x for a single number k.</summary>
    private Rescaling Scalar(NodeProto node, float k, bool constantFirst)
    {
        if (!float.IsFinite(k)) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): constant {k}");
        return node.OpType switch
        {
            "Add" or "Sum" => new Rescaling(1f, k),
            "Sub" => constantFirst ? new Rescaling(-1f, k) : new Rescaling(1f, -k),
            "Mul" => new Rescaling(k),
            "Div" when !constantFirst && k != 0 && float.IsFinite(1 / k) => new Rescaling(1 / k),
            _ => throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): {(constantFirst ? "a constant divided by a computed value" : $"division by {k}")}"),
        };
    }

    /// <summary>
    /// The constant as one number, or as one number per channel in Fovea's channel order; refuses a constant that
    /// varies along any other axis (a per-pixel mean image, say).
    /// </summary>
    private float[] PerChannel(NodeProto node, ImportedValue x, ImportedValue k)
    {
        var values = k.Constant!;
        if (values.Length == 1) return values;
        int rank = x.Layout is ImportedLayout.Flat ? 2 : 4;
        int channelAxis = x.Layout switch { ImportedLayout.ChannelsLast => 3, ImportedLayout.Flat => 1, _ => 1 };
        int channels = x.Tensor!.Shape[^1];
        var dims = k.Dims;
        bool fits = dims.Length <= rank && values.Length == channels;
        for (int i = 0; fits && i < dims.Length; i++)
        {
            int axis = rank - dims.Length + i;
            fits = dims[i] == (axis == channelAxis ? channels : 1);
        }
        if (!fits)
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): constant of shape [{string.Join(", ", dims)}] on {x.OnnxShape}; only one number or one per channel is supported");
        if (x.FlattenedFrom is { } from)
            return Enumerable.Range(0, values.Length).Select(j => values[OnnxFeature(j, from)]).ToArray();
        return values;
    }
}
