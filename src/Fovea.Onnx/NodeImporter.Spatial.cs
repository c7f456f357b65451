using Fovea.Layers;
using Onnx;

namespace Fovea.Onnx;

/// <summary>Convolution, pooling and batch normalisation: the nodes that work on channels-first maps.</summary>
internal sealed partial class NodeImporter
{
    /// <summary>The padding of one axis that the output really reads, and the output's size.</summary>
    private readonly record struct AxisGeometry(int Before, int After, int Out);

    private ImportedValue Convolution(NodeProto node)
    {
        var x = Map(node);
        var w = Constant(node, 1)!;
        var s = x.Tensor!.Shape;
        if (w.Dims is not [var f, var c, var kh, var kw] || c != s[2] || f < 1 || kh < 1 || kw < 1)
            throw Refuse($"node {OnnxText.Quote(node.Name)} (Conv): weights [{string.Join(", ", w.Dims)}] do not fit an input of {s[2]} channels");
        var b = Constant(node, 2, required: false);
        if (b is not null && b.Constant!.Length != f) throw Refuse($"node {OnnxText.Quote(node.Name)} (Conv): bias of {b.Constant.Length} values for {f} filters");
        var a = new OnnxAttributes(node, _source);
        if (a.Ints("kernel_shape") is { } ks && (ks[0] != kh || ks[1] != kw))
            throw Refuse($"node {OnnxText.Quote(node.Name)} (Conv): kernel_shape [{string.Join(", ", ks)}] differs from its weights' [{kh}, {kw}]");
        var (sh, sw) = Strides(node, a);
        var (gh, gw) = Geometry(node, a, s, (int)kh, (int)kw, sh, sw, ceil: false);
        int filters = (int)f, cin = (int)c, kHeight = (int)kh, kWidth = (int)kw;
        var kernel = new float[w.Constant!.Length];
        for (int i = 0; i < kHeight; i++)
        for (int j = 0; j < kWidth; j++)
        for (int ch = 0; ch < cin; ch++)
        for (int o = 0; o < filters; o++)
            kernel[((i * kWidth + j) * cin + ch) * filters + o] = w.Constant[((o * cin + ch) * kHeight + i) * kWidth + j];

        var relu = MergeNext(node, "Relu", "Clip");
        var padding = PaddingFor(s, kHeight, kWidth, sh, sw, gh, gw);
        if (padding == Padding.Valid && (gh.Before | gh.After | gw.Before | gw.After) != 0)
            x = Call(new ZeroPadding2D(gh.Before, gh.After, gw.Before, gw.After), x, ImportedLayout.ChannelsFirst);
        var conv = new Conv2D(filters, (kHeight, kWidth), relu is null ? Activation.Linear : Activation.Relu, padding, strides: (sh, sw), useBias: b is not null);
        var y = b is null ? Call(conv, x, ImportedLayout.ChannelsFirst, ("kernel", kernel))
            : Call(conv, x, ImportedLayout.ChannelsFirst, ("kernel", kernel), ("bias", b.Constant!));
        if (relu is not null) _values[relu.Output[0]] = y;
        return y;
    }

    /// <summary>Keras's 'same' where the padding is exactly its own, else 'valid' after an explicit padding layer.</summary>
    private static Padding PaddingFor(Shape s, int kh, int kw, int sh, int sw, AxisGeometry gh, AxisGeometry gw)
    {
        static bool IsSame(int size, int k, int stride, AxisGeometry g)
        {
            int outSize = (size + stride - 1) / stride, total = Math.Max((outSize - 1) * stride + k - size, 0);
            return g.Out == outSize && g.Before == total / 2 && g.After == total - total / 2;
        }
        bool none = (gh.Before | gh.After | gw.Before | gw.After) == 0;
        return !none && IsSame(s[0], kh, sh, gh) && IsSame(s[1], kw, sw, gw) ? Padding.Same : Padding.Valid;
    }

    private ImportedValue MaxPool(NodeProto node)
    {
        var x = Map(node);
        var a = new OnnxAttributes(node, _source);
        var (kh, kw) = PoolKernel(node, a);
        var (sh, sw) = Strides(node, a);
        var (gh, gw) = Geometry(node, a, x.Tensor!.Shape, kh, kw, sh, sw, ceil: a.Int("ceil_mode", 0) != 0);
        if ((gh.Before | gh.After | gw.Before | gw.After) != 0)
            x = Call(new ZeroPadding2D(gh.Before, gh.After, gw.Before, gw.After, ZeroPadding2D.MaxPoolFill), x, ImportedLayout.ChannelsFirst);
        return Call(new MaxPool2D((kh, kw), (sh, sw)), x, ImportedLayout.ChannelsFirst);
    }

    /// <summary>An average over the whole map is global average pooling, which also runs on other image sizes.</summary>
    private ImportedValue AveragePool(NodeProto node)
    {
        var x = Map(node);
        var a = new OnnxAttributes(node, _source);
        var (kh, kw) = PoolKernel(node, a);
        var (sh, sw) = Strides(node, a);
        var s = x.Tensor!.Shape;
        bool unpadded = (a.Ints("pads") ?? []).All(p => p == 0) && a.String("auto_pad", "NOTSET") is "NOTSET" or "VALID";
        if (unpadded && GlobalPools?.Contains(node.Output[0]) == true)
            return Call(new GlobalAveragePooling2D(), x, ImportedLayout.Pooled);
        var (gh, gw) = Geometry(node, a, s, kh, kw, sh, sw, ceil: a.Int("ceil_mode", 0) != 0);
        if (kh == s[0] && kw == s[1] && gh.Out == 1 && gw.Out == 1 && (gh.Before | gh.After | gw.Before | gw.After) == 0)
        {
            _globalPools.Add(node.Output[0]);
            return Call(new GlobalAveragePooling2D(), x, ImportedLayout.Pooled);
        }
        throw Refuse($"node {OnnxText.Quote(node.Name)} (AveragePool): a {kh}x{kw} window over a {s[0]}x{s[1]} map; only an average over the whole map is supported");
    }

    /// <summary>Constant padding of height and width (pads ≥ 0): a <see cref="ZeroPadding2D"/> with the pad's value.</summary>
    private ImportedValue Pad(NodeProto node)
    {
        var x = Tensor(node, 0);
        var a = new OnnxAttributes(node, _source);
        long[] pads = _opset < 11 ? a.Ints("pads") ?? [] : Constant(node, 1)!.Constant!.Select(v => (long)v).ToArray();
        float value = _opset < 11 ? a.Float("value", 0f) : Constant(node, 2, required: false)?.Constant is [var v] ? v : 0f;
        // Each layout's (height, width) axes among ONNX's four.
        (int h, int w) = x.Layout switch
        {
            ImportedLayout.ChannelsFirst => (2, 3),
            ImportedLayout.ChannelsLast => (1, 2),
            _ => throw Refuse($"node {OnnxText.Quote(node.Name)} (Pad) of {x.OnnxShape}; only images are padded"),
        };
        bool fits = pads.Length == 8 && Enumerable.Range(0, 4).All(i => i == h || i == w ? pads[i] is >= 0 and <= 1 << 16 && pads[i + 4] is >= 0 and <= 1 << 16 : pads[i] == 0 && pads[i + 4] == 0);
        if (!fits || !float.IsFinite(value) || Math.Abs(value) > 1e30f)
            throw Refuse($"node {OnnxText.Quote(node.Name)} (Pad): pads [{string.Join(", ", pads)}], value {value}; only non-negative padding of height and width by a finite value is supported");
        return Call(new ZeroPadding2D((int)pads[h], (int)pads[h + 4], (int)pads[w], (int)pads[w + 4], value), x, x.Layout);
    }

    private ImportedValue GlobalAveragePool(NodeProto node) => Call(new GlobalAveragePooling2D(), Map(node), ImportedLayout.Pooled);

    /// <summary>ONNX normalises axis 1: the channels of a channels-first map, or the features of [N, F].</summary>
    private ImportedValue BatchNorm(NodeProto node)
    {
        var x = Tensor(node, 0);
        if (x.Layout == ImportedLayout.ChannelsLast)
            throw Refuse($"node {OnnxText.Quote(node.Name)} (BatchNormalization) normalises axis 1 of a channels-last map (its height); not supported");
        int c = x.Tensor!.Shape[^1];
        var p = Enumerable.Range(1, 4).Select(i => Constant(node, i)!.Constant!).ToArray();
        if (p.Any(v => v.Length != c)) throw Refuse($"node {OnnxText.Quote(node.Name)} (BatchNormalization): its parameters do not all have {c} values");
        if (x.FlattenedFrom is { } from)
            p = p.Select(v => Enumerable.Range(0, c).Select(j => v[OnnxFeature(j, from)]).ToArray()).ToArray();
        var a = new OnnxAttributes(node, _source);
        float epsilon = a.Float("epsilon", 1e-5f), momentum = a.Float("momentum", 0.9f);
        if (!(epsilon > 0) || !float.IsFinite(epsilon)) throw Refuse($"node {OnnxText.Quote(node.Name)} (BatchNormalization): epsilon {epsilon}; a positive number is needed");
        // ONNX's momentum has Keras's meaning (running = running·momentum + batch·(1 − momentum)); a value outside [0, 1) only matters to training.
        if (!(momentum >= 0 && momentum < 1)) momentum = 0.9f;
        var bn = new BatchNormalization(momentum, epsilon);
        return Call(bn, x, x.Layout, ("gamma", p[0]), ("beta", p[1]), ("moving_mean", p[2]), ("moving_variance", p[3]));
    }

    /// <summary>The node's input as a channels-first map, as ONNX's Conv and pools take it.</summary>
    private ImportedValue Map(NodeProto node)
    {
        var x = Tensor(node, 0);
        return x.Layout == ImportedLayout.ChannelsFirst ? x
            : throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}) needs a channels-first map [N, C, H, W]; got {x.OnnxShape}");
    }

    private (int, int) PoolKernel(NodeProto node, OnnxAttributes a)
    {
        var k = a.Ints("kernel_shape");
        if (k is not [var kh, var kw] || kh is < 1 or > 1 << 16 || kw is < 1 or > 1 << 16)
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): kernel_shape must be two positive sizes");
        return ((int)kh, (int)kw);
    }

    private (int, int) Strides(NodeProto node, OnnxAttributes a)
    {
        var s = a.Ints("strides") ?? [1, 1];
        if (s is not [var sh, var sw] || sh is < 1 or > 1 << 16 || sw is < 1 or > 1 << 16)
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): strides must be two positive integers");
        return ((int)sh, (int)sw);
    }

    /// <summary>Output size and the padding actually read on each axis, from pads or auto_pad (and ceil_mode for pools).</summary>
    private (AxisGeometry, AxisGeometry) Geometry(NodeProto node, OnnxAttributes a, Shape s, int kh, int kw, int sh, int sw, bool ceil)
    {
        string auto = a.String("auto_pad", "NOTSET");
        var pads = a.Ints("pads") ?? [0, 0, 0, 0];
        if (pads.Length != 4 || pads.Any(p => p is < 0 or > 1 << 16))
            throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): pads must be four sizes in [0, 65536]; got [{string.Join(", ", pads)}]");
        AxisGeometry Axis(int size, int k, int stride, int before, int after)
        {
            switch (auto)
            {
                case "SAME_UPPER" or "SAME_LOWER":
                    int outSize = (size + stride - 1) / stride, total = Math.Max((outSize - 1) * stride + k - size, 0);
                    before = auto == "SAME_UPPER" ? total / 2 : total - total / 2;
                    return new AxisGeometry(before, total - before, outSize);
                case "VALID":
                    before = after = 0;
                    break;
                case "NOTSET":
                    break;
                default:
                    throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): auto_pad {OnnxText.Quote(auto)}");
            }
            long span = (long)size + before + after - k;
            if (span < 0) throw Refuse($"node {OnnxText.Quote(node.Name)} ({node.OpType}): a {k}-wide window over {size} pixels padded by {before} and {after}");
            int o = (int)(ceil ? (span + stride - 1) / stride : span / stride) + 1;
            // ONNX drops a last window that would start in the padding after the map.
            if (ceil && (long)(o - 1) * stride >= size + before) o--;
            return new AxisGeometry(before, (int)Math.Max(0, (long)(o - 1) * stride + k - size - before), o);
        }
        return (Axis(s[0], kh, sh, (int)pads[0], (int)pads[2]), Axis(s[1], kw, sw, (int)pads[1], (int)pads[3]));
    }
}
