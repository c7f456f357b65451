using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// The inference graph's fusions, from the graph alone: a convolution whose output only a max-pool reads pools it
/// chunk by chunk, from cache; a linear convolution then takes a BatchNormalization that alone reads its output (or
/// its pool's) into its kernel and bias, and a GELU or ReLU that alone reads the result into the epilogue of its GEMM
/// (or of its pool); without a pool, an Add of two values that alone reads the result (a residual block's join)
/// instead, the other value summed into the GEMM's output before its epilogue, and a ReLU that alone reads the sum
/// after it; a Normalization whose output only a 'valid' convolution reads is folded into that convolution's kernel
/// and bias (airbench94's input scaling). A ZeroPadding2D whose output only a max-pool reads is pooled with the
/// border implicit (<see cref="PaddedPoolStep"/>), and one whose output only a 'valid' convolution reads becomes that
/// convolution's padding (<see cref="ConvolutionStep.PaddedGeometry"/>): the border an imported network keeps as
/// layers is never written out. <see cref="ConvolutionStep"/> runs them.
/// </summary>
internal static class InferenceFusion
{
    /// <summary>Nodes an inference step fuses into the convolution at its start (0: none), in order; or, for a
    /// Normalization or ZeroPadding2D node, <see cref="InputOf"/>: the convolution after it that folds it in, and for
    /// a ZeroPadding2D node, <see cref="Pool"/>: the max-pool after it that takes its border. <see cref="Add"/>: the
    /// residual Add, whose other input is value <see cref="Residual"/>; <see cref="Relu"/>: a ReLU after the
    /// convolution (and the BatchNormalization) or after the Add.</summary>
    public readonly record struct Fusion(int Pool, int Norm, int Gelu, int InputOf = 0, int Relu = 0, int Add = 0, int Residual = -1);

    /// <summary>Each node's fusion.</summary>
    public static Fusion[] Plan(Model graph)
    {
        var nodes = graph.Nodes;
        int n = nodes.Count, output = nodes[^1].Output;
        var fusion = new Fusion[n];
        for (int j = 0; j + 1 < n; j++)
        {
            if (nodes[j].Layer is Normalization && Next(j) is Conv2D { Padding: Padding.Valid })
            {
                fusion[j] = new Fusion(0, 0, 0, InputOf: j + 1);
                continue;
            }
            if (nodes[j].Layer is ZeroPadding2D pad)
            {
                if (Next(j) is MaxPool2D) fusion[j] = new Fusion(j + 1, 0, 0);
                else if (Next(j) is Conv2D { Padding: Padding.Valid } padded && ConvolutionStep.PaddedGeometry(padded, pad) is not null)
                    fusion[j] = new Fusion(0, 0, 0, InputOf: j + 1);
                continue;
            }
            if (nodes[j].Layer is not Conv2D conv) continue;
            int at = j, pool = 0, norm = 0, gelu = 0, relu = 0, add = 0, residual = -1;
            if (Next(at) is MaxPool2D) pool = at = at + 1;
            if (conv.Activation == Activation.Linear)
            {
                if (Next(at) is BatchNormalization) norm = at = at + 1;
                if (Next(at) is Gelu) gelu = at + 1;
                else if (Next(at) is ReLU) relu = at + 1;
                else if (pool == 0 && Joins(at) is { } other)
                {
                    (add, residual) = (at + 1, other);
                    if (Next(add) is ReLU) relu = add + 1;
                }
            }
            fusion[j] = new Fusion(pool, norm, gelu, Relu: relu, Add: add, Residual: residual);
        }
        return fusion;

        // The layer of node at + 1 when it is the one reader of node at's output, which is not the model's output either.
        Layer? Next(int at)
        {
            int v = nodes[at].Output, r = at + 1;
            if (r >= n || nodes[r].Inputs.Length != 1 || nodes[r].Inputs[0] != v || v == output) return null;
            for (int c = r + 1; c < n; c++)
                if (nodes[c].Inputs.Contains(v)) return null;
            return nodes[r].Layer;
        }

        // The other input of an Add of two at node at + 1 that is the one reader of node at's output, not the model's
        // output, and not node at's output itself (x + x).
        int? Joins(int at)
        {
            int v = nodes[at].Output, r = at + 1;
            if (r >= n || nodes[r].Layer is not Layers.Add || nodes[r].Inputs.Length != 2 || v == output) return null;
            int slot = Array.IndexOf(nodes[r].Inputs, v);
            if (slot < 0 || nodes[r].Inputs[1 - slot] == v) return null;
            for (int c = r + 1; c < n; c++)
                if (nodes[c].Inputs.Contains(v)) return null;
            return nodes[r].Inputs[1 - slot];
        }
    }

    /// <summary>For each node, the node whose step may write its output: the fused nodes' buffers live from there.</summary>
    public static int[] StepStarts(Fusion[] fusion)
    {
        int n = fusion.Length;
        var starts = Enumerable.Range(0, n).ToArray();
        for (int j = 0; j < n; j++)
        {
            // An input normalisation folded into the convolution after it starts that convolution's step.
            int step = j > 0 && fusion[j - 1].InputOf > 0 ? j - 1 : j;
            foreach (int f in new[] { fusion[j].Pool, fusion[j].Norm, fusion[j].Gelu, fusion[j].Relu, fusion[j].Add, step < j ? j : 0 })
                if (f > 0) starts[f] = step;
        }
        return starts;
    }
}
