using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// Unfolds an NHWC image into the im2col matrix [out pixels, kh·kw·cin] so that a convolution becomes one GEMM
/// with the kernel [kh·kw·cin, cout], and folds gradients back (col2im). In NHWC each tap's cin values are
/// contiguous in both the image and the patch row, so the copies run over whole channel vectors.
/// </summary>
public static class Im2Col
{
    /// <summary>cols[OH·OW, KH·KW·C] ← image[H, W, C]; taps that fall in the padding are zero.</summary>
    public static void Unfold(Span<float> cols, ReadOnlySpan<float> image, in ConvGeometry g) => Unfold(cols, image, g, 0, g.OutHeight);

    /// <summary>Output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of <see cref="Unfold(Span{float}, ReadOnlySpan{float}, in ConvGeometry)"/>:
    /// a single image's unfolding split across threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Unfold(Span<float> cols, ReadOnlySpan<float> image, in ConvGeometry g, int rowStart, int rowEnd)
    {
        int c = g.InChannels, patch = g.PatchSize, rowLen = g.KernelWidth * c;
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        if (cols.Length < (long)g.OutPixels * patch) throw new ArgumentException($"cols must hold OH·OW·KH·KW·C = {(long)g.OutPixels * patch} floats; got {cols.Length}", nameof(cols));
        if (image.Length < g.InputSize) throw new ArgumentException($"image must hold H·W·C = {g.InputSize} floats; got {image.Length}", nameof(image));
        fixed (float* colsStart = cols, imageStart = image)
        {
            for (int oh = rowStart; oh < rowEnd; oh++)
            {
                int ih0 = oh * g.StrideHeight - g.PadTop;
                for (int ow = 0; ow < outWidth; ow++)
                {
                    float* row = colsStart + (nint)(oh * outWidth + ow) * patch;
                    int iw0 = ow * g.StrideWidth - g.PadLeft;
                    bool inside = iw0 >= 0 && iw0 + g.KernelWidth <= g.Width;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int ih = ih0 + kh;
                        float* dst = row + kh * rowLen;
                        if ((uint)ih >= (uint)g.Height) { new Span<float>(dst, rowLen).Clear(); continue; }
                        float* src = imageStart + (nint)(ih * g.Width) * c;
                        // The whole kernel row is inside the image: one contiguous copy of kw·cin values.
                        if (inside) { Copy(dst, src + (nint)iw0 * c, rowLen); continue; }
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int iw = iw0 + kw;
                            if ((uint)iw >= (uint)g.Width) new Span<float>(dst + kw * c, c).Clear();
                            else Copy(dst + kw * c, src + (nint)iw * c, c);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// dst[0..n) = src[0..n) for the short rows of small channel counts (9 floats for a 3×3 kernel on RGB), where a
    /// call to memmove per row cost more than the GEMM after it (the tutorial's first layer unfolded at 6 GB/s).
    /// Short copies are two overlapping vectors, never touching memory outside either range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* dst, float* src, int n)
    {
        if (n >= 64) { Buffer.MemoryCopy(src, dst, (long)n * sizeof(float), (long)n * sizeof(float)); return; }
        if (n >= 16 && Vector512.IsHardwareAccelerated)
        {
            int i = 0;
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
            if (i < n) Vector512.Store(Vector512.Load(src + n - 16), dst + n - 16);
            return;
        }
        if (n >= 8)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
            if (i < n) Vector256.Store(Vector256.Load(src + n - 8), dst + n - 8);
            return;
        }
        if (n >= 4)
        {
            Vector128.Store(Vector128.Load(src), dst);
            Vector128.Store(Vector128.Load(src + n - 4), dst + n - 4);
            return;
        }
        for (int i = 0; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// image[H, W, C] = Σ over patches of cols[OH·OW, KH·KW·C]: the adjoint of <see cref="Unfold(Span{float}, ReadOnlySpan{float}, in ConvGeometry)"/>. Written as a
    /// gather, pixel by pixel: each input pixel sums the at most KH·KW patch entries that read it, in registers,
    /// and is stored once (a scatter would clear the image and read-modify-write it KH·KW times). Pixels no patch
    /// reads (strides that skip them) get zero.
    /// </summary>
    public static void Fold(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g) => Fold(image, cols, g, 0, g.Height);

    /// <summary>Input rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of <see cref="Fold(Span{float}, ReadOnlySpan{float}, in ConvGeometry)"/>.</summary>
    public static void Fold(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g, int rowStart, int rowEnd)
    {
        int c = g.InChannels, lanes = Vector<float>.Count;
        // The cols entry of (oh, ow, kh, kw) sits at rowPart(oh, kh) + colPart(ow, kw), so the taps that read pixel
        // (ih, iw) are the pairs of one list per input row and one per input column, found once per row/column
        // rather than per channel vector.
        Span<int> rowTaps = g.KernelHeight <= 32 ? stackalloc int[32] : new int[g.KernelHeight];
        Span<int> colTaps = g.KernelWidth <= 32 ? stackalloc int[32] : new int[g.KernelWidth];
        for (int ih = rowStart; ih < rowEnd; ih++)
        {
            int rowCount = Taps(rowTaps, ih, g.PadTop, g.StrideHeight, g.KernelHeight, g.OutHeight, g.OutWidth * g.PatchSize, g.KernelWidth * c);
            for (int iw = 0; iw < g.Width; iw++)
            {
                int colCount = Taps(colTaps, iw, g.PadLeft, g.StrideWidth, g.KernelWidth, g.OutWidth, g.PatchSize, c);
                var dst = image.Slice((ih * g.Width + iw) * c, c);
                int ch = 0;
                for (; ch <= c - lanes; ch += lanes)
                {
                    var sum = Vector<float>.Zero;
                    for (int r = 0; r < rowCount; r++)
                        for (int q = 0; q < colCount; q++)
                            sum += new Vector<float>(cols[(rowTaps[r] + colTaps[q] + ch)..]);
                    sum.CopyTo(dst[ch..]);
                }
                for (; ch < c; ch++)
                {
                    float sum = 0;
                    for (int r = 0; r < rowCount; r++)
                        for (int q = 0; q < colCount; q++)
                            sum += cols[rowTaps[r] + colTaps[q] + ch];
                    dst[ch] = sum;
                }
            }
        }
    }

    /// <summary>
    /// Along one axis, the kernel taps k (ascending) whose output position o = (i + pad − k) / stride is whole and
    /// inside [0, outSize): writes o·outStride + k·tapStride for each and returns how many.
    /// </summary>
    private static int Taps(Span<int> taps, int i, int pad, int stride, int kernel, int outSize, int outStride, int tapStride)
    {
        int count = 0;
        for (int k = 0; k < kernel; k++)
        {
            int t = i + pad - k;
            if (t < 0) break;   // larger k only moves further left
            if (t % stride != 0) continue;
            int o = t / stride;
            if (o < outSize) taps[count++] = o * outStride + k * tapStride;
        }
        return count;
    }

    /// <summary>The plain scatter definition of <see cref="Fold(Span{float}, ReadOnlySpan{float}, in ConvGeometry)"/>, kept for tests.</summary>
    public static void FoldReference(Span<float> image, ReadOnlySpan<float> cols, in ConvGeometry g)
    {
        image[..g.InputSize].Clear();
        int c = g.InChannels, patch = g.PatchSize;
        for (int oh = 0; oh < g.OutHeight; oh++)
            for (int ow = 0; ow < g.OutWidth; ow++)
                for (int kh = 0; kh < g.KernelHeight; kh++)
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        int ih = oh * g.StrideHeight - g.PadTop + kh, iw = ow * g.StrideWidth - g.PadLeft + kw;
                        if ((uint)ih >= (uint)g.Height || (uint)iw >= (uint)g.Width) continue;
                        for (int ch = 0; ch < c; ch++)
                            image[(ih * g.Width + iw) * c + ch] += cols[(oh * g.OutWidth + ow) * patch + (kh * g.KernelWidth + kw) * c + ch];
                    }
    }
}
