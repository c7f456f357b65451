using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Onnx;

/// <summary>How an ONNX value's axes relate to the Fovea tensor that holds it (Fovea is always channels-last).</summary>
internal enum ImportedLayout
{
    /// <summary>ONNX [N, C, H, W]; Fovea (H, W, C).</summary>
    ChannelsFirst,
    /// <summary>ONNX [N, H, W, C]; Fovea the same (H, W, C): a graph that transposes to NHWC, as Fovea's exporter writes.</summary>
    ChannelsLast,
    /// <summary>ONNX [N, C, 1, 1] after pooling the whole map; Fovea (C).</summary>
    Pooled,
    /// <summary>ONNX [N, F]; Fovea (F), in ONNX's feature order unless <see cref="ImportedValue.FlattenedFrom"/> says otherwise.</summary>
    Flat,
}

/// <summary>
/// One ONNX value during import: a Fovea symbolic tensor with its layout, or a constant (an initializer or a
/// Constant node's value), which becomes part of the weights of the layer that reads it.
/// </summary>
internal sealed class ImportedValue
{
    private ImportedValue(SymbolicTensor? tensor, ImportedLayout layout, float[]? constant, long[]? dims)
    {
        Tensor = tensor;
        Layout = layout;
        Constant = constant;
        Dims = dims ?? [];
    }

    public static ImportedValue Of(SymbolicTensor tensor, ImportedLayout layout, Shape? flattenedFrom = null) =>
        new(tensor, layout, null, null) { FlattenedFrom = flattenedFrom };

    public static ImportedValue Const(float[] values, long[] dims) => new(null, ImportedLayout.Flat, values, dims);

    public SymbolicTensor? Tensor { get; }
    public ImportedLayout Layout { get; }
    public float[]? Constant { get; }

    /// <summary>A constant's ONNX dims.</summary>
    public long[] Dims { get; }

    /// <summary>
    /// For a Flat value made by flattening a channels-first (H, W, C) map: that map's Fovea shape. Fovea flattens in
    /// (h, w, c) order where ONNX flattens in (c, h, w): the Gemm that reads the value permutes its weight rows.
    /// </summary>
    public Shape? FlattenedFrom { get; private init; }

    public bool IsConstant => Tensor is null;

    /// <summary>The ONNX shape without the batch axis, for messages.</summary>
    public string OnnxShape
    {
        get
        {
            if (Tensor is null) return $"[{string.Join(", ", Dims)}]";
            var s = Tensor.Shape;
            return Layout switch
            {
                ImportedLayout.ChannelsFirst => $"[N, {s[2]}, {s[0]}, {s[1]}]",
                ImportedLayout.Pooled => $"[N, {s[0]}, 1, 1]",
                _ => $"[N, {string.Join(", ", s)}]",
            };
        }
    }
}
