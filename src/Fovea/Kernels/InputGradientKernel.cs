using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// The input gradient of a convolution computed where it lands: for six input pixels and one panel of NR channels,
/// each kernel tap's contribution Σ_f dz[o, f]·kernel[tap, c, f] is an FMA chain over f (with the k blocks of the
/// GEMM it replaces), and the taps are added in the order col2im adds them (kh, then kw, from zero). That is, to the
/// bit, the unfolded path's dz·kernelᵀ followed by <see cref="Im2Col.Fold"/>, without writing and reading back the
/// KH·KW-times larger patch-gradient matrix (the tutorial's second layer spent most of its backward pass on it).
/// A tap that falls outside the output reads a row of zeros: +0 leaves a sum exactly as it was (for finite weights).
/// </summary>
internal static unsafe class InputGradientKernel<TOps, TVec>
    where TOps : struct, IFloatVector<TVec>
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
        int w = TOps.Count, nr = 2 * w, f = a.Filters, kc = a.Kc;
        TVec s00 = TOps.Zero, s01 = TOps.Zero, s10 = TOps.Zero, s11 = TOps.Zero, s20 = TOps.Zero, s21 = TOps.Zero;
        TVec s30 = TOps.Zero, s31 = TOps.Zero, s40 = TOps.Zero, s41 = TOps.Zero, s50 = TOps.Zero, s51 = TOps.Zero;
        for (int tap = 0; tap < a.Taps; tap++, rows += MR, b += (nint)f * nr)
        {
            float* a0 = rows[0], a1 = rows[1], a2 = rows[2], a3 = rows[3], a4 = rows[4], a5 = rows[5];
            TVec t00 = TOps.Zero, t01 = TOps.Zero, t10 = TOps.Zero, t11 = TOps.Zero, t20 = TOps.Zero, t21 = TOps.Zero;
            TVec t30 = TOps.Zero, t31 = TOps.Zero, t40 = TOps.Zero, t41 = TOps.Zero, t50 = TOps.Zero, t51 = TOps.Zero;
            for (int pc = 0; pc < f; pc += kc)
            {
                int end = Math.Min(f, pc + kc);
                TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
                TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
                float* bp = b + (nint)pc * nr;
                for (int p = pc; p < end; p++, bp += nr)
                {
                    TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
                    TVec x = TOps.Broadcast(a0[p]);
                    c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                    x = TOps.Broadcast(a1[p]);
                    c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                    x = TOps.Broadcast(a2[p]);
                    c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                    x = TOps.Broadcast(a3[p]);
                    c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                    x = TOps.Broadcast(a4[p]);
                    c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
                    x = TOps.Broadcast(a5[p]);
                    c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
                }
                // The GEMM's epilogue for a later k block: its chain plus what the earlier blocks left in C.
                if (pc == 0)
                {
                    (t00, t01, t10, t11, t20, t21) = (c00, c01, c10, c11, c20, c21);
                    (t30, t31, t40, t41, t50, t51) = (c30, c31, c40, c41, c50, c51);
                }
                else
                {
                    t00 = TOps.Add(c00, t00); t01 = TOps.Add(c01, t01); t10 = TOps.Add(c10, t10); t11 = TOps.Add(c11, t11);
                    t20 = TOps.Add(c20, t20); t21 = TOps.Add(c21, t21); t30 = TOps.Add(c30, t30); t31 = TOps.Add(c31, t31);
                    t40 = TOps.Add(c40, t40); t41 = TOps.Add(c41, t41); t50 = TOps.Add(c50, t50); t51 = TOps.Add(c51, t51);
                }
            }
            // col2im's sum: the taps in order, from zero.
            s00 = TOps.Add(s00, t00); s01 = TOps.Add(s01, t01); s10 = TOps.Add(s10, t10); s11 = TOps.Add(s11, t11);
            s20 = TOps.Add(s20, t20); s21 = TOps.Add(s21, t21); s30 = TOps.Add(s30, t30); s31 = TOps.Add(s31, t31);
            s40 = TOps.Add(s40, t40); s41 = TOps.Add(s41, t41); s50 = TOps.Add(s50, t50); s51 = TOps.Add(s51, t51);
        }
        TOps.Store(c, s00); TOps.Store(c + w, s01);
        TOps.Store(c + ldc, s10); TOps.Store(c + ldc + w, s11);
        TOps.Store(c + 2 * ldc, s20); TOps.Store(c + 2 * ldc + w, s21);
        TOps.Store(c + 3 * ldc, s30); TOps.Store(c + 3 * ldc + w, s31);
        TOps.Store(c + 4 * ldc, s40); TOps.Store(c + 4 * ldc + w, s41);
        TOps.Store(c + 5 * ldc, s50); TOps.Store(c + 5 * ldc + w, s51);
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
