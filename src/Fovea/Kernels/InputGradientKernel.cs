using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// The input gradient of a convolution computed where it lands: for six input pixels and one panel of NR channels,
/// each kernel tap's contribution Σ_f dz[o, f]·kernel[tap, c, f] is an FMA chain over f (with the k blocks of the
/// GEMM it replaces), and the taps are added in the order col2im adds them (kh, then kw, from zero). That is, to the
/// bit, the unfolded path's dz·kernelᵀ followed by <see cref="Im2Col.Fold(Span{float}, ReadOnlySpan{float}, in ConvGeometry)"/>, without writing and reading back the
/// KH·KW-times larger patch-gradient matrix (the tutorial's second layer spent most of its backward pass on it).
/// A tap that falls outside the output reads a row of zeros: +0 leaves a sum exactly as it was (for finite weights).
/// </summary>
internal static unsafe class InputGradientKernel<TOps, TVec>
    where TOps : struct, IVectorOps<TVec>
    where TVec : unmanaged
{
    private const int MR = 6;

    /// <summary>Input pixels [6·t0, 6·t1) of the batch, every channel panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in InputGradientArgs a, int t0, int t1, float** rows, float* tile)
    {
        int nr = 2 * TOps.Count, taps = a.Taps, panels = (a.Channels + nr - 1) / nr;
        for (int t = t0; t < t1; t++)
        {
            int first = t * MR, count = Math.Min(MR, a.Pixels - first);
            for (int r = 0; r < MR; r++) a.TapRows(first + (r < count ? r : 0), rows + r, MR);
            for (int panel = 0; panel < panels; panel++)
            {
                int c0 = panel * nr, width = Math.Min(nr, a.Channels - c0);
                float* b = a.Packed + (nint)panel * taps * a.Filters * nr;
                float* dst = a.InputGrad + (nint)first * a.Channels + c0;
                if (count == MR && width == nr)
                {
                    Tile(in a, rows, b, dst, a.Channels);
                    continue;
                }
                Tile(in a, rows, b, tile, nr);
                for (int r = 0; r < count; r++)
                    new ReadOnlySpan<float>(tile + r * nr, width).CopyTo(new Span<float>(dst + (nint)r * a.Channels, width));
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile(in InputGradientArgs a, float** rows, float* b, float* c, nint ldc)
    {
        int nr = 2 * TOps.Count, f = a.Filters, kc = a.Kc;
        var sum = RegisterTile<TOps, TVec, Rows6>.Zero;
        float* zeros = a.Zeros;
        for (int tap = 0; tap < a.Taps; tap++, rows += MR, b += (nint)f * nr)
        {
            float* a0 = rows[0], a1 = rows[1], a2 = rows[2], a3 = rows[3], a4 = rows[4], a5 = rows[5];
            // A tap outside the output for all six pixels (the border rows of a 'valid' layer's input) adds +0 to
            // sums that started at +0 and so are never −0: skipped, the same bits (for a finite kernel).
            if (a0 == zeros && a1 == zeros && a2 == zeros && a3 == zeros && a4 == zeros && a5 == zeros) continue;
            var tapSum = RegisterTile<TOps, TVec, Rows6>.Zero;
            for (int pc = 0; pc < f; pc += kc)
            {
                int end = Math.Min(f, pc + kc);
                var chain = RegisterTile<TOps, TVec, Rows6>.Zero;
                float* bp = b + (nint)pc * nr;
                for (int p = pc; p < end; p++, bp += nr) chain.MultiplyAdd(bp, p, a0, a1, a2, a3, a4, a5);
                // The GEMM's epilogue for a later k block: its chain plus what the earlier blocks left in C.
                if (pc == 0) tapSum = chain;
                else tapSum.Add(in chain);
            }
            // col2im's sum: the taps in order, from zero.
            sum.Add(in tapSum);
        }
        sum.Store(c, ldc);
    }
}

/// <summary>One input-gradient pass: the geometry, dz, the kernel packed per channel panel and tap as [F, NR], and
/// the output.</summary>
internal readonly unsafe struct InputGradientArgs
{
    public float* InputGrad { get; init; }   // [N, H, W, C], overwritten
    public float* Dz { get; init; }          // [N, OH, OW, F]
    public float* Zeros { get; init; }       // F zeros: the row an outside tap reads
    public float* Packed { get; init; }      // [panels, taps, F, NR]
    public ConvGeometry G { get; init; }
    public int Filters { get; init; }
    public int Kc { get; init; }
    public int Pixels { get; init; }         // N·H·W

    public int Channels => G.InChannels;
    public int Taps => G.KernelHeight * G.KernelWidth;

    /// <summary>rows[tap·stride] = the dz row tap (kh, kw) of input pixel <paramref name="pixel"/> reads, or the zero row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void TapRows(int pixel, float** rows, int stride)
    {
        var g = G;
        int perImage = g.Height * g.Width, image = pixel / perImage, rest = pixel - image * perImage;
        int ih = rest / g.Width, iw = rest - ih * g.Width;
        float* imageDz = Dz + (nint)image * g.OutPixels * Filters;
        if (g.StrideHeight == 1 && g.StrideWidth == 1)
        {
            // Stride 1 (nearly every layer): tap (kh, kw) reads output (ih + padTop − kh, iw + padLeft − kw), no division.
            for (int kh = 0, tap = 0; kh < g.KernelHeight; kh++)
            {
                int oh = ih + g.PadTop - kh;
                bool rowValid = (uint)oh < (uint)g.OutHeight;
                float* rowDz = imageDz + (nint)oh * g.OutWidth * Filters;
                for (int kw = 0; kw < g.KernelWidth; kw++, tap++)
                {
                    int ow = iw + g.PadLeft - kw;
                    rows[tap * stride] = rowValid && (uint)ow < (uint)g.OutWidth ? rowDz + (nint)ow * Filters : Zeros;
                }
            }
            return;
        }
        for (int kh = 0, tap = 0; kh < g.KernelHeight; kh++)
        {
            int th = ih + g.PadTop - kh, oh = th / g.StrideHeight;
            bool rowValid = th >= 0 && th % g.StrideHeight == 0 && oh < g.OutHeight;
            for (int kw = 0; kw < g.KernelWidth; kw++, tap++)
            {
                int tw = iw + g.PadLeft - kw, ow = tw / g.StrideWidth;
                bool valid = rowValid && tw >= 0 && tw % g.StrideWidth == 0 && ow < g.OutWidth;
                rows[tap * stride] = valid ? imageDz + (nint)(oh * g.OutWidth + ow) * Filters : Zeros;
            }
        }
    }
}
