using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Floating-point work per image, counted from layer shapes the way throughput figures are usually quoted:
/// 2·m·n·k for each GEMM (a multiply and an add per term) of the forward pass, the weight gradient (dW) and the
/// input gradient (dX). Element-wise work (bias, ReLU, pooling, softmax, the optimiser) is not counted: it is a
/// few percent of the total and not what GFLOPS figures compare.
/// </summary>
public static class FlopCounter
{
    /// <summary>One layer's GEMM work per image: forward, dW and dX.</summary>
    public readonly record struct LayerFlops(string Layer, long Forward, long WeightGradient, long InputGradient)
    {
        /// <summary>Backward work per image: dW and dX.</summary>
        public long Backward => WeightGradient + InputGradient;
        /// <summary>Work per image of a training step: forward and backward.</summary>
        public long Training => Forward + Backward;
    }

    /// <summary>
    /// Per-image work of every layer of <paramref name="model"/> (built for you). The first layer has no dX:
    /// nothing upstream needs it, so the model never computes it (PyTorch skips it too, for an input without grad).
    /// </summary>
    public static IReadOnlyList<LayerFlops> PerLayer(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        return model.Layers.Select((layer, i) => For(layer, computesInputGradient: i > 0)).ToList();
    }

    /// <summary>Training work per image: forward, dW and dX of every layer.</summary>
    public static long TrainingPerImage(Model model) => PerLayer(model).Sum(l => l.Training);

    /// <summary>Inference work per image: the forward pass.</summary>
    public static long InferencePerImage(Model model) => PerLayer(model).Sum(l => l.Forward);

    /// <summary>The work of one built layer; layers without a GEMM count zero.</summary>
    public static LayerFlops For(Layer layer, bool computesInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.IsBuilt) throw new ArgumentException($"layer '{layer}' must be built before its work can be counted", nameof(layer));
        // One GEMM shape per layer, per image: forward is [m × k]·[k × n]; dW is [k × m]·[m × n]; dX is [m × n]·[n × k].
        (long m, long n, long k) = layer switch
        {
            // im2col: one row per output pixel, one column per kernel tap and input channel.
            Conv2D c => ((long)c.OutputShape[0] * c.OutputShape[1], c.Filters, (long)c.KernelSize.Height * c.KernelSize.Width * c.InputShape[2]),
            Dense d => (1L, d.Units, d.InputShape[0]),
            _ => (0L, 0L, 0L),
        };
        long gemm = 2 * m * n * k;
        return new LayerFlops(layer.Name ?? layer.NameStem, gemm, gemm, computesInputGradient ? gemm : 0);
    }
}
