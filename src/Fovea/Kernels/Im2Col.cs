using System.Numerics;

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

    /// <summary>
    /// image[H, W, C] = Σ over patches of cols[OH·OW, KH·KW·C]: the adjoint of <see cref="Unfold"/>. Written as a
    /// gather, pixel by pixel: each input pixel sums the at most KH·KW patch entries that read it, in registers,
    /// and is stored once (a scatter would clear the image and read-modify-write it KH·KW times).
    /// </summary>
    public static void Fold(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g)
    {
        int c = g.InChannels, patch = g.PatchSize, lanes = Vector<float>.Count;
        for (int ih = 0; ih < g.Height; ih++)
            for (int iw = 0; iw < g.Width; iw++)
            {
                var dst = image.Slice((ih * g.Width + iw) * c, c);
                int ch = 0;
                for (; ch <= c - lanes; ch += lanes)
                {
                    var sum = Vector<float>.Zero;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int oh = ih + g.PadTop - kh;
                        if ((uint)oh >= (uint)g.OutHeight) continue;
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ow = iw + g.PadLeft - kw;
                            if ((uint)ow >= (uint)g.OutWidth) continue;
                            sum += new Vector<float>(cols[((oh * g.OutWidth + ow) * patch + (kh * g.KernelWidth + kw) * c + ch)..]);
                        }
                    }
                    sum.CopyTo(dst[ch..]);
                }
                for (; ch < c; ch++)
                {
                    float sum = 0;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int oh = ih + g.PadTop - kh;
                        if ((uint)oh >= (uint)g.OutHeight) continue;
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ow = iw + g.PadLeft - kw;
                            if ((uint)ow >= (uint)g.OutWidth) continue;
                            sum += cols[(oh * g.OutWidth + ow) * patch + (kh * g.KernelWidth + kw) * c + ch];
                        }
                    }
                    dst[ch] = sum;
                }
            }
    }

    /// <summary>The plain scatter definition of <see cref="Fold"/>, kept for tests.</summary>
    public static void FoldReference(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g)
    {
        image[..g.InputSize].Clear();
        int c = g.InChannels, patch = g.PatchSize;
        for (int oh = 0; oh < g.OutHeight; oh++)
            for (int ow = 0; ow < g.OutWidth; ow++)
                for (int kh = 0; kh < g.KernelHeight; kh++)
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        int ih = oh - g.PadTop + kh, iw = ow - g.PadLeft + kw;
                        if ((uint)ih >= (uint)g.Height || (uint)iw >= (uint)g.Width) continue;
                        for (int ch = 0; ch < c; ch++)
                            image[(ih * g.Width + iw) * c + ch] += cols[(oh * g.OutWidth + ow) * patch + (kh * g.KernelWidth + kw) * c + ch];
                    }
    }
}
