using System.Numerics.Tensors;

namespace Fovea.Kernels;

/// <summary>
/// Per-channel affine maps folded into a convolution's kernel and bias, for inference: an input map x·a + b (per
/// input channel) through the kernel is x·(kernel·a) + Σ kernel·b over the taps; an output map y·s + t (per filter)
/// scales the kernel's column and maps the bias. ONNX Runtime folds a BatchNormalization the same way; the result
/// rounds differently from the layers one by one in the last bits.
/// </summary>
internal static class ConvolutionFold
{
    /// <summary>
    /// foldedKernel [taps·cin, filters] and foldedBias [filters] from kernel and bias (empty: none), with the input
    /// map (<paramref name="inputScale"/>, <paramref name="inputShift"/> per input channel; empty: none) and the
    /// output map (<paramref name="scale"/>, <paramref name="shift"/> per filter; empty: none). Sums in double.
    /// </summary>
    public static void Fold(Span<float> foldedKernel, Span<float> foldedBias,
        ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int patchSize, int inChannels, int filters,
        ReadOnlySpan<float> inputScale, ReadOnlySpan<float> inputShift, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift)
    {
        int f = filters;
        var sums = new double[f];
        for (int k = 0; k < f; k++) sums[k] = bias.IsEmpty ? 0.0 : bias[k];
        kernel.CopyTo(foldedKernel);
        if (!inputScale.IsEmpty)
        {
            for (int p = 0; p < patchSize; p++)
            {
                int channel = p % inChannels;
                for (int k = 0; k < f; k++) sums[k] += (double)kernel[p * f + k] * inputShift[channel];
                TensorPrimitives.Multiply(foldedKernel.Slice(p * f, f), inputScale[channel], foldedKernel.Slice(p * f, f));
            }
        }
        if (!scale.IsEmpty)
        {
            for (int p = 0; p < patchSize; p++)
                TensorPrimitives.Multiply(foldedKernel.Slice(p * f, f), scale, foldedKernel.Slice(p * f, f));
            for (int k = 0; k < f; k++) sums[k] = sums[k] * scale[k] + shift[k];
        }
        for (int k = 0; k < f; k++) foldedBias[k] = (float)sums[k];
    }
}
