using Fovea.Layers;
using Onnx;

namespace Fovea.Onnx;

/// <summary>Flattening, fully connected layers, softmax and the nodes that only move axes.</summary>
internal sealed partial class NodeImporter
{
    private ImportedValue Flatten(NodeProto node, ImportedValue x)
    {
        if (x.IsConstant) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) on a constant");
        return x.Layout switch
        {
            ImportedLayout.Flat => x,
            ImportedLayout.Pooled => ImportedValue.Of(x.Tensor!, ImportedLayout.Flat),
            ImportedLayout.ChannelsLast => Call(new Layers.Flatten(), x, ImportedLayout.Flat),
            _ => ImportedValue.Of(Call(new Layers.Flatten(), x, ImportedLayout.Flat).Tensor!, ImportedLayout.Flat, x.Tensor!.Shape),
        };
    }

    /// <summary>A constant shape that keeps the batch and flattens the rest ([N, −1], [0, F], [1, F] …) is a Flatten.</summary>
    private ImportedValue Reshape(NodeProto node)
    {
        var x = Tensor(node, 0);
        var shape = Constant(node, 1)!.Constant!.Select(v => (long)v).ToArray();
        long features = x.Tensor!.Shape.Size;
        bool flattens = shape.Length == 2 && (shape[1] == features || (shape[1] == -1 && shape[0] is 0 or 1))
            && shape[0] is 0 or 1 or -1 && !(shape[0] == -1 && shape[1] == -1);
        if (flattens) return Flatten(node, x);
        throw Refuse($"node {OnnxText.Quote(node.Name)} (Reshape): {x.OnnxShape} to [{string.Join(", ", shape)}]; only flattening to [N, {features}] is supported");
    }

    /// <summary>Y = alpha·A·B′ + beta·C: a Dense layer whose kernel is alpha·B′ and whose bias is beta·C.</summary>
    private ImportedValue Gemm(NodeProto node)
    {
        var a = new OnnxAttributes(node, _source);
        var c = Constant(node, 2, required: false);
        return DenseLayer(node, transposed: a.Int("transB", 0) != 0, a.Float("alpha", 1f), c, a.Float("beta", 1f));
    }

    /// <summary>MatMul by a constant matrix, with the Add of a constant bias that follows it merged in.</summary>
    private ImportedValue MatMul(NodeProto node)
    {
        ImportedValue? bias = null;
        if (_graph.SoleConsumer(node.Output[0]) is { OpType: "Add" } add && add.Input.Count == 2
            && add.Input.IndexOf(node.Output[0]) is var at and >= 0 && Value(add.Input[1 - at]) is { IsConstant: true } b)
        {
            _merged.Add(add);
            bias = b;
            var y = DenseLayer(node, transposed: false, 1f, bias, 1f);
            _values[add.Output[0]] = y;
            return y;
        }
        return DenseLayer(node, transposed: false, 1f, null, 1f);
    }

    private ImportedValue DenseLayer(NodeProto node, bool transposed, float alpha, ImportedValue? bias, float beta)
    {
        var x = Tensor(node, 0);
        if (x.Layout != ImportedLayout.Flat && x.Layout != ImportedLayout.Pooled)
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) on {x.OnnxShape}; only [N, F] inputs are supported");
        var w = Constant(node, 1)!;
        int inputs = (int)x.Tensor!.Shape[0];
        if (w.Dims.Length != 2 || w.Dims[transposed ? 1 : 0] != inputs)
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): weights [{string.Join(", ", w.Dims)}] do not fit {inputs} inputs");
        int units = (int)w.Dims[transposed ? 0 : 1];
        // Fovea's Flatten of a channels-first map orders the features (h, w, c); ONNX's weight rows are in (c, h, w).
        var from = x.FlattenedFrom;
        var kernel = new float[inputs * units];
        for (int j = 0; j < inputs; j++)
        {
            int i = from is { } s ? OnnxFeature(j, s) : j;
            for (int u = 0; u < units; u++)
                kernel[j * units + u] = alpha * (transposed ? w.Constant![u * inputs + i] : w.Constant![i * units + u]);
        }
        float[]? biasValues = null;
        if (bias is not null)
        {
            var bc = bias.Constant!;
            if (bc.Length != units && bc.Length != 1) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): bias of {bc.Length} values for {units} units");
            biasValues = Enumerable.Range(0, units).Select(u => beta * bc[bc.Length == 1 ? 0 : u]).ToArray();
        }
        var next = MergeNext(node.OpType == "MatMul" && bias is not null ? _graph.SoleConsumer(node.Output[0])! : node, "Relu", "Clip", "Softmax");
        if (next is { OpType: "Softmax" } && !SoftmaxOverFeatures(next)) { _merged.Remove(next); next = null; }
        var activation = next?.OpType switch { "Softmax" => Activation.Softmax, null => Activation.Linear, _ => Activation.Relu };
        var dense = new Dense(units, activation, useBias: biasValues is not null);
        var y = biasValues is null ? Call(dense, x, ImportedLayout.Flat, ("kernel", kernel))
            : Call(dense, x, ImportedLayout.Flat, ("kernel", kernel), ("bias", biasValues));
        y = ImportedValue.Of(y.Tensor!, ImportedLayout.Flat);
        if (next is not null) _values[next.Output[0]] = y;
        return y;
    }

    /// <summary>The ONNX (c, h, w) index of Fovea's (h, w, c) feature <paramref name="j"/> of a map of shape <paramref name="s"/>.</summary>
    private static int OnnxFeature(int j, Shape s)
    {
        int c = s[2], pixel = j / c, channel = j % c;
        return channel * s[0] * s[1] + pixel;
    }

    private bool SoftmaxOverFeatures(NodeProto softmax)
    {
        long axis = new OnnxAttributes(softmax, _source).Int("axis", _opset < 13 ? 1 : -1);
        return axis is 1 or -1;
    }

    private ImportedValue SoftmaxNode(NodeProto node)
    {
        var x = Tensor(node, 0);
        long axis = new OnnxAttributes(node, _source).Int("axis", _opset < 13 ? 1 : -1);
        bool overChannels = x.Layout switch
        {
            ImportedLayout.Flat or ImportedLayout.Pooled => axis is 1 or -1 && x.FlattenedFrom is null,
            ImportedLayout.ChannelsLast => _opset >= 13 && axis is 3 or -1,
            _ => _opset >= 13 && axis is 1 or -3,
        };
        if (!overChannels) throw Refuse($"node {OnnxText.Quote(node.Name)} (Softmax): axis {axis} of {x.OnnxShape} at opset {_opset}; only the channel or feature axis is supported");
        return Call(new Layers.Softmax(), x, x.Layout);
    }

    /// <summary>Transposes between channels-first and channels-last move no data in Fovea: only the layout changes.</summary>
    private ImportedValue Transpose(NodeProto node)
    {
        var x = Tensor(node, 0);
        var perm = Perm(node);
        if (x.Layout == ImportedLayout.ChannelsFirst && perm is [0, 2, 3, 1]) return ImportedValue.Of(x.Tensor!, ImportedLayout.ChannelsLast);
        if (x.Layout == ImportedLayout.ChannelsLast && perm is [0, 3, 1, 2]) return ImportedValue.Of(x.Tensor!, ImportedLayout.ChannelsFirst);
        if (x.Layout == ImportedLayout.Flat && x.FlattenedFrom is null && perm is null or [0, 1] && x.Tensor!.Shape.Rank == 1) return x;
        throw Refuse($"node {OnnxText.Quote(node.Name)} (Transpose): perm [{string.Join(", ", perm ?? [])}] of {x.OnnxShape}; only NCHW ↔ NHWC is supported");
    }

    private ImportedValue Concat(NodeProto node)
    {
        var inputs = Enumerable.Range(0, node.Input.Count).Select(i => Tensor(node, i)).ToList();
        var layout = inputs[0].Layout;
        long axis = new OnnxAttributes(node, _source).Int("axis", 1);
        bool channels = layout switch
        {
            ImportedLayout.ChannelsFirst => axis is 1 or -3,
            ImportedLayout.ChannelsLast => axis is 3 or -1,
            _ => axis is 1 or -1,
        };
        if (!channels || inputs.Any(v => v.Layout != layout || v.FlattenedFrom is not null))
            throw Refuse($"node {OnnxText.Quote(node.Name)} (Concat): axis {axis} of {string.Join(" and ", inputs.Select(v => v.OnnxShape))}; only the channel axis of values in one layout is supported");
        if (inputs.Count == 1) return inputs[0];
        return Merge(new Concatenate(), inputs, layout);
    }

    private ImportedValue Merge(Layer layer, List<ImportedValue> inputs, ImportedLayout layout)
    {
        try
        {
            return ImportedValue.Of(Checked(layer.Call(inputs.Select(v => v.Tensor!).ToArray())), layout);
        }
        catch (ArgumentException e)
        {
            throw Refuse($"layer {layer.TypeName} on {string.Join(" and ", inputs.Select(v => v.OnnxShape))}: {e.Message}");
        }
    }
}
