namespace Fovea.Kernels;

/// <summary>
/// Unfolds an NHWC image into the im2col matrix [out pixels, kh·kw·cin] so that a convolution becomes one GEMM
/// with the kernel [kh·kw·cin, cout], and folds gradients back (col2im). In NHWC each tap's cin values are
/// contiguous in both the image and the patch row, so the copies run over whole channel vectors.
/// </summary>
public static class Im2Col
{
    /// <summary>cols[OH·OW, KH·KW·C] ← image[H, W, C]; taps that fall in the padding are zero.</summary>
    public static void Unfold(Span<float> cols, ReadOnlySpan<float> image, in ConvGeometry g)
    {
        int c = g.InChannels, patch = g.PatchSize, rowLen = g.KernelWidth * c;
        for (int oh = 0; oh < g.OutHeight; oh++)
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                var row = cols.Slice((oh * g.OutWidth + ow) * patch, patch);
                int iw0 = ow - g.PadLeft;
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    int ih = oh - g.PadTop + kh;
                    var dst = row.Slice(kh * rowLen, rowLen);
                    if ((uint)ih >= (uint)g.Height) { dst.Clear(); continue; }
                    if (iw0 >= 0 && iw0 + g.KernelWidth <= g.Width)
                    {
                        // The whole kernel row is inside the image: one contiguous copy of kw·cin values.
                        image.Slice((ih * g.Width + iw0) * c, rowLen).CopyTo(dst);
                        continue;
                    }
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        int iw = iw0 + kw;
                        var tap = dst.Slice(kw * c, c);
                        if ((uint)iw >= (uint)g.Width) tap.Clear();
                        else image.Slice((ih * g.Width + iw) * c, c).CopyTo(tap);
                    }
                }
            }
    }

    /// <summary>image[H, W, C] = Σ over patches of cols[OH·OW, KH·KW·C]: the adjoint of <see cref="Unfold"/>.</summary>
    public static void Fold(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g)
    {
        image[..g.InputSize].Clear();
        int c = g.InChannels, patch = g.PatchSize;
        for (int oh = 0; oh < g.OutHeight; oh++)
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                var row = cols.Slice((oh * g.OutWidth + ow) * patch, patch);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    int ih = oh - g.PadTop + kh;
                    if ((uint)ih >= (uint)g.Height) continue;
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        int iw = ow - g.PadLeft + kw;
                        if ((uint)iw >= (uint)g.Width) continue;
                        var dst = image.Slice((ih * g.Width + iw) * c, c);
                        System.Numerics.Tensors.TensorPrimitives.Add(dst, row.Slice((kh * g.KernelWidth + kw) * c, c), dst);
                    }
                }
            }
    }
}
