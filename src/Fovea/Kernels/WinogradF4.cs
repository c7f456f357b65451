using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

// The transforms of Winograd's F(4×4, 3×3) (Lavin & Gray 2016), for inference: a 4×4 block of a 3×3
// convolution's outputs is Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A for the 6×6 input window d, so each output tile costs
// 36 multiplies per channel pair instead of 144 (F(2×2, 3×3): 64 for the same 16 outputs).
//     Bᵀ = [4  0 −5  0  1  0]     G = [ 1/4     0     0  ]     Aᵀ = [1  1  1  1  1  0]
//          [0 −4 −4  1  1  0]         [−1/6  −1/6  −1/6  ]          [0  1 −1  2 −2  0]
//          [0  4 −4 −1  1  0]         [−1/6   1/6  −1/6  ]          [0  1  1  4  4  0]
//          [0 −2 −1  2  1  0]         [1/24  1/12   1/6  ]          [0  1 −1  8 −8  1]
//          [0  2 −1 −2  1  0]         [1/24 −1/12   1/6  ]
//          [0  4  0 −5  0  1]         [  0     0     1   ]
// The points 0, ±1, ±2 and ∞ keep every Bᵀ and Aᵀ entry a small integer, so the input and output transforms are
// exact on small integers, as F(2×2)'s; G's sixths are not, so the kernel is transformed in double and rounded
// once. The larger entries cost accuracy: F(4×4)'s results sit a few times further from the exact sum than
// F(2×2)'s (the tests bound both), which is why training keeps F(2×2) or im2col.

/// <summary>V[ξ, t, c] = (Bᵀ d B)[ξ] for one 6×6 input tile d, for every channel; ξ = 6·row + column.</summary>
internal unsafe struct WinogradF4InputTile : IChannelKernel
{
    public float** D;      // 36 pointers, row-major over the 6×6 window, to a pixel's [C] (a zero row for padding)
    public float* V;       // &V[0, t, 0]
    public nint Stride;    // floats from V[ξ, t, 0] to V[ξ + 1, t, 0]
    public float* Scratch; // 36 vectors of the widest width: d·B, row by row

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; c + w <= end; c += w)
        {
            // e = d·B one input row at a time into the scratch, then V = Bᵀ·e one column at a time.
            for (int i = 0; i < 6; i++)
            {
                float** row = D + 6 * i;
                TransformTo<TOps, TVec>(TOps.Load(row[0] + c), TOps.Load(row[1] + c), TOps.Load(row[2] + c),
                    TOps.Load(row[3] + c), TOps.Load(row[4] + c), TOps.Load(row[5] + c),
                    Scratch + 6 * i * w, w);
            }
            for (int j = 0; j < 6; j++)
            {
                float* e = Scratch + j * w;
                nint s = 6 * w;
                TransformTo<TOps, TVec>(TOps.Load(e), TOps.Load(e + s), TOps.Load(e + 2 * s), TOps.Load(e + 3 * s),
                    TOps.Load(e + 4 * s), TOps.Load(e + 5 * s), V + c + j * Stride, 6 * Stride);
            }
        }
        return c;
    }

    /// <summary>Bᵀ·x for six vectors x, stored <paramref name="step"/> floats apart from <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformTo<TOps, TVec>(TVec x0, TVec x1, TVec x2, TVec x3, TVec x4, TVec x5, float* to, nint step)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec four = TOps.Broadcast(4f), five = TOps.Broadcast(-5f), minusFour = TOps.Broadcast(-4f), two = TOps.Broadcast(2f);
        TVec a = TOps.MultiplyAdd(minusFour, x2, x4);            // x4 − 4·x2
        TVec b = TOps.MultiplyAdd(minusFour, x1, x3);            // x3 − 4·x1
        TVec c = TOps.Subtract(x4, x2);
        TVec d = TOps.Multiply(two, TOps.Subtract(x3, x1));
        TOps.Store(to, TOps.MultiplyAdd(four, x0, TOps.MultiplyAdd(five, x2, x4)));
        TOps.Store(to + step, TOps.Add(a, b));
        TOps.Store(to + 2 * step, TOps.Subtract(a, b));
        TOps.Store(to + 3 * step, TOps.Add(c, d));
        TOps.Store(to + 4 * step, TOps.Subtract(c, d));
        TOps.Store(to + 5 * step, TOps.MultiplyAdd(four, x1, TOps.MultiplyAdd(five, x3, x5)));
    }
}

/// <summary>U[ξ, c, f] = (G g Gᵀ)[ξ] of a [3, 3, C, F] kernel, in double and rounded once.</summary>
internal static unsafe class WinogradF4Kernel
{
    /// <summary>U's rows for input channels [start, end): U[ξ, c, f] at <c>u + (ξ·C + c)·F + f</c>.</summary>
    public static void Transform(float* kernel, float* u, int channels, int filters, int start, int end)
    {
        nint plane = (nint)channels * filters;
        double* a = stackalloc double[18];   // G·g: 6 rows × 3 kernel columns
        for (int c = start; c < end; c++)
            for (int f = 0; f < filters; f++)
            {
                float* g = kernel + (nint)c * filters + f;   // tap (i, j) at g + (3·i + j)·plane
                for (int j = 0; j < 3; j++)
                {
                    Column(g[j * plane], g[(3 + j) * plane], g[(6 + j) * plane], out a[j], out a[3 + j], out a[6 + j],
                        out a[9 + j], out a[12 + j], out a[15 + j]);
                }
                for (int r = 0; r < 6; r++)
                {
                    Column(a[3 * r], a[3 * r + 1], a[3 * r + 2], out double u0, out double u1, out double u2,
                        out double u3, out double u4, out double u5);
                    float* to = u + ((nint)(6 * r) * channels + c) * filters + f;
                    to[0] = (float)u0;
                    to[plane] = (float)u1;
                    to[2 * plane] = (float)u2;
                    to[3 * plane] = (float)u3;
                    to[4 * plane] = (float)u4;
                    to[5 * plane] = (float)u5;
                }
            }
    }

    /// <summary>G·(g0, g1, g2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(double g0, double g1, double g2,
                               out double r0, out double r1, out double r2, out double r3, out double r4, out double r5)
    {
        r0 = g0 / 4;
        r1 = -(g0 + g1 + g2) / 6;
        r2 = -(g0 - g1 + g2) / 6;
        r3 = g0 / 24 + g1 / 12 + g2 / 6;
        r4 = g0 / 24 - g1 / 12 + g2 / 6;
        r5 = g2;
    }
}

/// <summary>
/// The 4×4 outputs Y = Aᵀ m A of one tile from m[ξ] = M[ξ, t, :], plus bias (plus a residual), then ReLU, for every
/// filter, in the order of sums of <see cref="WinogradOutputTile"/>. Outputs outside the image are not stored.
/// </summary>
internal unsafe struct WinogradF4OutputTile : IChannelKernel
{
    public float* M;       // &M[0, t, 0]
    public nint Stride;    // floats from M[ξ, t, 0] to M[ξ + 1, t, 0]
    public float** Y;      // the 16 output pixels' [F], row-major; null where outside the image
    public float* Bias;    // [F] or null
    public bool Relu;
    /// <summary>Floats from an output to the residual summed into it (laid out as the output), or 0: none.</summary>
    public nint Residual;
    public float* Scratch; // 24 vectors of the widest width: Aᵀ·m, column by column

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // s = Aᵀ·m one column at a time into the scratch (s[r, j] at (6·r + j)·w), then Y = s·A one row at a time.
            for (int j = 0; j < 6; j++)
            {
                float* m = M + f + j * Stride;
                nint s = 6 * Stride;
                Transform<TOps, TVec>(TOps.Load(m), TOps.Load(m + s), TOps.Load(m + 2 * s), TOps.Load(m + 3 * s),
                    TOps.Load(m + 4 * s), TOps.Load(m + 5 * s), out var o0, out var o1, out var o2, out var o3);
                TOps.Store(Scratch + j * w, o0);
                TOps.Store(Scratch + (6 + j) * w, o1);
                TOps.Store(Scratch + (12 + j) * w, o2);
                TOps.Store(Scratch + (18 + j) * w, o3);
            }
            TVec bias = Bias == null ? TOps.Zero : TOps.Load(Bias + f);
            for (int r = 0; r < 4; r++)
            {
                float* s = Scratch + 6 * r * w;
                Transform<TOps, TVec>(TOps.Load(s), TOps.Load(s + w), TOps.Load(s + 2 * w), TOps.Load(s + 3 * w),
                    TOps.Load(s + 4 * w), TOps.Load(s + 5 * w), out var o0, out var o1, out var o2, out var o3);
                float** y = Y + 4 * r;
                Store<TOps, TVec>(y[0], f, TOps.Add(o0, bias));
                Store<TOps, TVec>(y[1], f, TOps.Add(o1, bias));
                Store<TOps, TVec>(y[2], f, TOps.Add(o2, bias));
                Store<TOps, TVec>(y[3], f, TOps.Add(o3, bias));
            }
        }
        return f;
    }

    /// <summary>Aᵀ·x for six vectors x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform<TOps, TVec>(TVec x0, TVec x1, TVec x2, TVec x3, TVec x4, TVec x5,
                                              out TVec o0, out TVec o1, out TVec o2, out TVec o3)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec a = TOps.Add(x1, x2), b = TOps.Subtract(x1, x2), c = TOps.Add(x3, x4), d = TOps.Subtract(x3, x4);
        o0 = TOps.Add(TOps.Add(x0, a), c);
        o1 = TOps.MultiplyAdd(TOps.Broadcast(2f), d, b);
        o2 = TOps.MultiplyAdd(TOps.Broadcast(4f), c, a);
        o3 = TOps.Add(TOps.MultiplyAdd(TOps.Broadcast(8f), d, b), x5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Store<TOps, TVec>(float* y, int f, TVec v) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        if (y == null) return;
        if (Residual != 0) v = TOps.Add(v, TOps.Load(y + Residual + f));
        // x < 0 ? 0 : x, as the GEMM's epilogue: NaN passes through.
        if (Relu) v = TOps.Select(TOps.LessThan(v, TOps.Zero), TOps.Zero, v);
        TOps.Store(y + f, v);
    }
}
