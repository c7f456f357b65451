namespace Fovea.Kernels;

/// <summary>
/// The plain, direct convolution that <see cref="Convolution"/> is tested against; read this first. Every sum is
/// taken in double over the taps that fall inside the image (padding is zero), straight from the definition
/// y[n, oh, ow, f] = Σ_{kh, kw, c} x[n, oh·sh − padTop + kh, ow·sw − padLeft + kw, c] · w[kh, kw, c, f].
/// </summary>
public static class ConvolutionReference
{
    /// <summary>output = x ⋆ kernel + bias, then ReLU when asked.</summary>
    public static void Forward(
        Span<float> output,             // [N, OH, OW, F]
        ReadOnlySpan<float> input,      // [N, H, W, C]
        ReadOnlySpan<float> kernel,     // [KH, KW, C, F]
        ReadOnlySpan<float> bias,       // [F] or empty
        bool relu, int batch, in ConvGeometry g, int filters)
    {
        for (int n = 0; n < batch; n++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                    for (int f = 0; f < filters; f++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[f];
                        for (int kh = 0; kh < g.KernelHeight; kh++)
                            for (int kw = 0; kw < g.KernelWidth; kw++)
                            {
                                if (!Inside(g, oh, ow, kh, kw, out int ih, out int iw)) continue;
                                for (int c = 0; c < g.InChannels; c++)
                                    sum += (double)input[Pixel(g, n, ih, iw) + c] * kernel[Tap(g, kh, kw, c, filters) + f];
                            }
                        float v = (float)sum;
                        output[((n * g.OutHeight + oh) * g.OutWidth + ow) * filters + f] = relu && v < 0 ? 0 : v;
                    }
    }

    /// <summary>inputGrad = Σ over the outputs each input pixel feeds of dz · kernel (the transposed convolution); overwritten.</summary>
    public static void BackwardInput(
        Span<float> inputGrad,          // [N, H, W, C]
        ReadOnlySpan<float> outputGrad, // [N, OH, OW, F]
        ReadOnlySpan<float> kernel,     // [KH, KW, C, F]
        int batch, in ConvGeometry g, int filters)
    {
        var sums = new double[batch * g.InputSize];
        for (int n = 0; n < batch; n++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            if (!Inside(g, oh, ow, kh, kw, out int ih, out int iw)) continue;
                            for (int c = 0; c < g.InChannels; c++)
                                for (int f = 0; f < filters; f++)
                                    sums[Pixel(g, n, ih, iw) + c] += (double)outputGrad[((n * g.OutHeight + oh) * g.OutWidth + ow) * filters + f]
                                                                     * kernel[Tap(g, kh, kw, c, filters) + f];
                        }
        for (int i = 0; i < sums.Length; i++) inputGrad[i] = (float)sums[i];
    }

    /// <summary>kernelGrad += Σ over images and output pixels of x(patch) ⊗ dz.</summary>
    public static void BackwardKernel(
        Span<float> kernelGrad,         // [KH, KW, C, F], accumulated
        ReadOnlySpan<float> outputGrad, // [N, OH, OW, F]
        ReadOnlySpan<float> input,      // [N, H, W, C]
        int batch, in ConvGeometry g, int filters)
    {
        for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
                for (int c = 0; c < g.InChannels; c++)
                    for (int f = 0; f < filters; f++)
                    {
                        double sum = kernelGrad[Tap(g, kh, kw, c, filters) + f];
                        for (int n = 0; n < batch; n++)
                            for (int oh = 0; oh < g.OutHeight; oh++)
                                for (int ow = 0; ow < g.OutWidth; ow++)
                                {
                                    if (!Inside(g, oh, ow, kh, kw, out int ih, out int iw)) continue;
                                    sum += (double)input[Pixel(g, n, ih, iw) + c] * outputGrad[((n * g.OutHeight + oh) * g.OutWidth + ow) * filters + f];
                                }
                        kernelGrad[Tap(g, kh, kw, c, filters) + f] = (float)sum;
                    }
    }

    /// <summary>The input pixel tap (kh, kw) of output (oh, ow) reads, and whether it lies inside the image.</summary>
    private static bool Inside(in ConvGeometry g, int oh, int ow, int kh, int kw, out int ih, out int iw)
    {
        ih = oh * g.StrideHeight - g.PadTop + kh;
        iw = ow * g.StrideWidth - g.PadLeft + kw;
        return (uint)ih < (uint)g.Height && (uint)iw < (uint)g.Width;
    }

    private static int Pixel(in ConvGeometry g, int n, int ih, int iw) => ((n * g.Height + ih) * g.Width + iw) * g.InChannels;

    private static int Tap(in ConvGeometry g, int kh, int kw, int c, int filters) => ((kh * g.KernelWidth + kw) * g.InChannels + c) * filters;
}
