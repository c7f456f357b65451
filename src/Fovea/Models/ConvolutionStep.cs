using Fovea.Kernels;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Inference's step for a convolution and what <see cref="InferenceFusion"/> fused into it, written straight into the
/// last fused node's output:
/// <list type="bullet">
/// <item>a max-pool after it runs chunk by chunk on the convolution's output while it is in cache (<see cref="PooledConvolution"/>);</item>
/// <item>a BatchNormalization is folded into the kernel and bias (kept while no weight changes), through a max-pool
/// only where every scale is positive (max and a positive affine map commute); otherwise the step stops at the pool;</item>
/// <item>a GELU is applied to each block of output while it is in the cache of the core that wrote it;</item>
/// <item>a ReLU, in the GEMM's epilogue;</item>
/// <item>a residual block's Add: the other value is summed into the GEMM's output before the epilogue, and the ReLU
/// after the Add runs in the epilogue;</item>
/// <item>a Normalization before it is folded in by <see cref="InputNormalizationStep"/>;</item>
/// <item>a ZeroPadding2D before it becomes its padding (<see cref="PaddedInputStep"/>): the kernels read the
/// unpadded input, the same products in the same order.</item>
/// </list>
/// Without a normalisation, the same values as the layers one by one; folding rounds differently in the last bits,
/// as ONNX Runtime's fused graphs do. The step owns its <see cref="Convolution"/>, so what that derives from the
/// kernel (packed panels, Winograd's transform) is reused while <see cref="Parameter.Generation"/> says no weight
/// changed and this step last passed the same kernel, whatever the layer's own training passes do.
/// </summary>
internal sealed class ConvolutionStep : PlanStep
{
    private readonly int _node, _poolNode, _normNode, _geluNode, _reluNode, _addNode;
    private readonly float[]? _residual;   // the Add's other input
    private readonly Conv2D _layer;
    private readonly BatchNormalization? _norm;
    private readonly float[][] _outputs;   // node j's output array
    private readonly float[] _input;
    private readonly LayerStep _unfused;
    private readonly Convolution _convolution;
    private readonly PooledConvolution? _pooled;
    private readonly ConvGeometry _g;

    private readonly bool _paddedInput;
    private readonly DerivedKernels _shared;   // the folded, packed and transformed kernels, held with the model's replicas

    /// <summary>The step of node <paramref name="node"/>'s convolution and what <paramref name="fusion"/> fuses into it;
    /// <paramref name="padding"/>: a ZeroPadding2D before it that it takes as its own padding, run from that node
    /// (<see cref="PaddedInputStep"/>) on the padding's input, or null.</summary>
    public ConvolutionStep(int node, InferenceFusion.Fusion fusion, Model graph, StepBuffers buffers, LayerStep unfused, ZeroPadding2D? padding = null)
    {
        var nodes = graph.Nodes;
        (_node, _poolNode, _normNode, _geluNode) = (node, fusion.Pool, fusion.Norm, fusion.Gelu);
        (_reluNode, _addNode) = (fusion.Relu, fusion.Add);
        _residual = fusion.Add > 0 ? buffers.Values[fusion.Residual] : null;
        _layer = (Conv2D)nodes[node].Layer;
        _norm = fusion.Norm > 0 ? (BatchNormalization)nodes[fusion.Norm].Layer : null;
        (_input, _unfused) = (buffers.NodeInputs[node][0], unfused);
        _outputs = nodes.Select(n => buffers.Values[n.Output]).ToArray();
        _g = _layer.InputGeometry;
        if (padding is not null)
        {
            _g = PaddedGeometry(_layer, padding) ?? throw new ArgumentException($"{padding.Name} does not fold into {_layer.Name}", nameof(padding));
            (_input, _paddedInput) = (buffers.NodeInputs[node - 1][0], true);
        }
        _shared = graph.DerivedKernelsFor(node, _g);
        _convolution = new Convolution(_g, _layer.Filters, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Auto, shared: _shared);
        if (fusion.Pool > 0) _pooled = new PooledConvolution(_convolution, ((MaxPool2D)nodes[fusion.Pool].Layer).Pass());
    }

    /// <summary>The step from the convolution's node: the layers one by one where a padding before it did not fold in.</summary>
    public override int Run(in StepContext step) => !_paddedInput && TryRun(_input, null, step, out int last) ? last : _unfused.Run(step);

    /// <summary>Runs the step on the input of the ZeroPadding2D before the convolution; false, having done nothing, when it cannot.</summary>
    public bool TryRunPadded(in StepContext step, out int last)
    {
        last = -1;
        return _paddedInput && TryRun(_input, null, step, out last);
    }

    /// <summary>
    /// The geometry of <paramref name="conv"/> ('valid', after <paramref name="pad"/>) on the padding's input with the
    /// padding as its own; null where that would not compute the same bits: a non-zero border (or −0), a pointwise
    /// kernel (the padded one is no longer read as a plain matrix), or a 3×3 stride-1 kernel that only one of the two
    /// geometries runs by Winograd.
    /// </summary>
    public static ConvGeometry? PaddedGeometry(Conv2D conv, ZeroPadding2D pad)
    {
        var valid = conv.InputGeometry;
        if (BitConverter.SingleToInt32Bits(pad.Value) != 0 || valid.IsPointwise) return null;
        var g = valid with
        {
            Height = valid.Height - pad.Top - pad.Bottom, Width = valid.Width - pad.Left - pad.Right,
            PadTop = pad.Top, PadBottom = pad.Bottom, PadLeft = pad.Left, PadRight = pad.Right,
        };
        if (g.Height <= 0 || g.Width <= 0 || WinogradConvolution.Supports(g) != WinogradConvolution.Supports(valid)) return null;
        return g;
    }

    /// <summary>The convolution with what it fuses, on <paramref name="input"/> (its own input, or that of
    /// <paramref name="inputNorm"/> before it, folded in); false, having done nothing, when it cannot.</summary>
    public bool TryRun(float[] input, Normalization? inputNorm, in StepContext step, out int last)
    {
        if (_norm is not null && Engine.KernelOptions.FoldBatchNorm)
        {
            last = Math.Max(Math.Max(_geluNode, _reluNode), Math.Max(_addNode, _normNode));
            if (Forward(_outputs[last], input, step, _norm, gelu: _geluNode > 0, inputNorm, _reluNode > 0, _addNode > 0)) return true;
        }
        // Without the normalisation (not folded here): the pool, and what follows the pool or the convolution directly.
        bool direct = _normNode == 0;
        bool gelu = direct && _geluNode > 0, relu = direct && _reluNode > 0, add = direct && _addNode > 0;
        last = gelu ? _geluNode : relu ? _reluNode : add ? _addNode : _poolNode > 0 ? _poolNode : _node;
        if (Forward(_outputs[last], input, step, null, gelu, inputNorm, relu, add)) return true;
        last = -1;
        return false;
    }

    private bool Forward(float[] output, float[] input, in StepContext step, BatchNormalization? norm, bool gelu, Normalization? inputNorm,
                         bool reluAfter, bool add)
    {
        bool linear = _layer.Activation == Activation.Linear;
        if ((norm is not null || gelu || reluAfter || add) && !linear) return false;
        // An input normalisation folds only where no zero padding would be normalised too.
        if (inputNorm is not null && _g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight != 0) return false;
        ReadOnlyMemory<float> kernel, bias;
        // The stamp of what the convolution derives from: the weights' generation and what is folded into them.
        long stamp = Parameter.Generation * 4 + (norm is null ? 0 : 1) + (inputNorm is null ? 0 : 2);
        if (norm is not null || inputNorm is not null)
        {
            bool positive;
            lock (_shared)
            {
                if (_shared.FoldedStamp != stamp) Fold(inputNorm, norm, stamp);
                (kernel, bias, positive) = (_shared.FoldedKernel, _shared.FoldedBias, _shared.FoldScalesPositive);
            }
            if (_pooled is not null && norm is not null && !positive) return false;
        }
        else (kernel, bias) = _layer.WeightValues();
        lock (_shared) _shared.Stamp = stamp;
        bool unchanged = KernelUnchanged(stamp);
        bool relu = _layer.Activation == Activation.Relu || reluAfter;
        if (_pooled is null)
            _convolution.Forward(output, input, kernel, bias, relu, step.Batch, kernelUnchanged: unchanged, training: false,
                allowWinograd: step.AllowsWinogradOn(_g.OutPixels), gelu: gelu, residual: add ? _residual : default);
        else
            _pooled.Forward(output, input, kernel, bias, relu, step.Batch, unchanged, step.AllowsWinogradOn(_g.OutPixels), gelu);
        return true;
    }

    /// <summary>The kernel and bias with <paramref name="inputNorm"/> before and <paramref name="norm"/> after folded in,
    /// into the shared holder (its lock held).</summary>
    private void Fold(Normalization? inputNorm, BatchNormalization? norm, long stamp)
    {
        int f = _layer.Filters, c = _g.InChannels;
        var (kernel, bias) = _layer.WeightValues();
        if (_shared.FoldedBias.Length != f) _shared.FoldedBias = new float[f];
        if (_shared.FoldedKernel.Length != kernel.Length) _shared.FoldedKernel = new float[kernel.Length];
        float[] a = [], b = [], scale = [], shift = [];
        if (inputNorm is not null)
        {
            (a, b) = (new float[c], new float[c]);
            inputNorm.Affine(a, b);
        }
        if (norm is not null)
        {
            (scale, shift) = (new float[f], new float[f]);
            norm.InferenceAffine(scale, shift);
        }
        _shared.FoldScalesPositive = scale.All(v => v > 0);
        ConvolutionFold.Fold(_shared.FoldedKernel, _shared.FoldedBias, kernel.Span, bias.Span, _g.PatchSize, c, f, a, b, scale, shift);
        _shared.FoldedStamp = stamp;
    }

    private long _lastStamp = -1;

    /// <summary>
    /// Whether this step's last pass convolved with the same kernel (<paramref name="stamp"/>: no weight changed, the
    /// same folding), so that the convolution's own state may be reused; what it derives is kept in the shared holder
    /// by the stamp itself.
    /// </summary>
    private bool KernelUnchanged(long stamp)
    {
        bool unchanged = stamp == _lastStamp;
        _lastStamp = stamp;
        return unchanged;
    }
}
