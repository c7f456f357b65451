using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

// The three transforms of Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): a 2×2 block of a 3×3 convolution's outputs is
//     Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d Bᵀ)] A
// for the 4×4 input window d and the 3×3 kernel g, so each output tile costs 16 multiplies per channel pair
// instead of 36. With C input channels the ⊙ becomes, for each of the 16 positions ξ, a [tiles, C] · [C, F] GEMM.
//     Bᵀ = [1  0 −1  0]      G = [ 1    0    0 ]      Aᵀ = [1  1  1  0]
//          [0  1  1  0]          [ ½    ½    ½ ]           [0  1 −1 −1]
//          [0 −1  1  0]          [ ½   −½    ½ ]
//          [0  1  0 −1]          [ 0    0    1 ]
// Bᵀ and Aᵀ hold only ±1 and G only ±½ and 1, so every transform is exact on small integers (the self-tests rely
// on it) and costs adds only. Each kernel works on whole channel vectors (NHWC keeps the channels of a pixel
// contiguous) and leaves the tail to the narrower widths of ChannelLoop.

/// <summary>V[ξ, t, c] = (Bᵀ d B)[ξ] for one 4×4 input tile d, for every channel.</summary>
internal unsafe struct WinogradInputTile : IChannelKernel
{
    public float** D;      // 16 pointers, row-major over the 4×4 window, to a pixel's [C] (a zero row for padding)
    public float* V;       // &V[0, t, 0]
    public nint Stride;    // floats from V[ξ, t, 0] to V[ξ + 1, t, 0]

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; c + w <= end; c += w)
        {
            // e = d·B, one input row at a time; then V = Bᵀ·e over the rows.
            Row<TOps, TVec>(c, 0, out var e00, out var e01, out var e02, out var e03);
            Row<TOps, TVec>(c, 1, out var e10, out var e11, out var e12, out var e13);
            Row<TOps, TVec>(c, 2, out var e20, out var e21, out var e22, out var e23);
            Row<TOps, TVec>(c, 3, out var e30, out var e31, out var e32, out var e33);
            float* v = V + c;
            nint s = Stride;
            TOps.Store(v, TOps.Subtract(e00, e20));
            TOps.Store(v + s, TOps.Subtract(e01, e21));
            TOps.Store(v + 2 * s, TOps.Subtract(e02, e22));
            TOps.Store(v + 3 * s, TOps.Subtract(e03, e23));
            TOps.Store(v + 4 * s, TOps.Add(e10, e20));
            TOps.Store(v + 5 * s, TOps.Add(e11, e21));
            TOps.Store(v + 6 * s, TOps.Add(e12, e22));
            TOps.Store(v + 7 * s, TOps.Add(e13, e23));
            TOps.Store(v + 8 * s, TOps.Subtract(e20, e10));
            TOps.Store(v + 9 * s, TOps.Subtract(e21, e11));
            TOps.Store(v + 10 * s, TOps.Subtract(e22, e12));
            TOps.Store(v + 11 * s, TOps.Subtract(e23, e13));
            TOps.Store(v + 12 * s, TOps.Subtract(e10, e30));
            TOps.Store(v + 13 * s, TOps.Subtract(e11, e31));
            TOps.Store(v + 14 * s, TOps.Subtract(e12, e32));
            TOps.Store(v + 15 * s, TOps.Subtract(e13, e33));
        }
        return c;
    }

    /// <summary>Row i of d·B: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Row<TOps, TVec>(int c, int i, out TVec r0, out TVec r1, out TVec r2, out TVec r3)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec d0 = TOps.Load(D[4 * i] + c), d1 = TOps.Load(D[4 * i + 1] + c);
        TVec d2 = TOps.Load(D[4 * i + 2] + c), d3 = TOps.Load(D[4 * i + 3] + c);
        r0 = TOps.Subtract(d0, d2);
        r1 = TOps.Add(d1, d2);
        r2 = TOps.Subtract(d2, d1);
        r3 = TOps.Subtract(d1, d3);
    }
}

/// <summary>U[ξ, c, f] = (G g Gᵀ)[ξ] for one input channel c of a [3, 3, C, F] kernel, for every filter.</summary>
internal unsafe struct WinogradKernelRow : IChannelKernel
{
    public float* G;       // &kernel[0, 0, c, 0]
    public nint TapStride; // floats from one tap's row to the next: C·F
    public float* U;       // &U[0, c, 0]
    public nint Stride;    // floats from U[ξ, c, 0] to U[ξ + 1, c, 0]: C·F

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        TVec half = TOps.Broadcast(0.5f);
        for (; f + w <= end; f += w)
        {
            // a = G·g, one kernel column at a time; then U = a·Gᵀ over the columns.
            Column<TOps, TVec>(f, 0, half, out var a00, out var a10, out var a20, out var a30);
            Column<TOps, TVec>(f, 1, half, out var a01, out var a11, out var a21, out var a31);
            Column<TOps, TVec>(f, 2, half, out var a02, out var a12, out var a22, out var a32);
            float* u = U + f;
            Store<TOps, TVec>(u, 0, half, a00, a01, a02);
            Store<TOps, TVec>(u, 1, half, a10, a11, a12);
            Store<TOps, TVec>(u, 2, half, a20, a21, a22);
            Store<TOps, TVec>(u, 3, half, a30, a31, a32);
        }
        return f;
    }

    /// <summary>Column j of G·g: (g0, ½(g0 + g1 + g2), ½(g0 − g1 + g2), g2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Column<TOps, TVec>(int f, int j, TVec half, out TVec r0, out TVec r1, out TVec r2, out TVec r3)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec g0 = TOps.Load(G + j * TapStride + f), g1 = TOps.Load(G + (3 + j) * TapStride + f);
        TVec g2 = TOps.Load(G + (6 + j) * TapStride + f);
        TVec outer = TOps.Add(g0, g2);
        r0 = g0;
        r1 = TOps.Multiply(half, TOps.Add(outer, g1));
        r2 = TOps.Multiply(half, TOps.Subtract(outer, g1));
        r3 = g2;
    }

    /// <summary>Row i of U = a·Gᵀ, the same combination along the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Store<TOps, TVec>(float* u, int i, TVec half, TVec a0, TVec a1, TVec a2)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec outer = TOps.Add(a0, a2);
        TOps.Store(u + 4 * i * Stride, a0);
        TOps.Store(u + (4 * i + 1) * Stride, TOps.Multiply(half, TOps.Add(outer, a1)));
        TOps.Store(u + (4 * i + 2) * Stride, TOps.Multiply(half, TOps.Subtract(outer, a1)));
        TOps.Store(u + (4 * i + 3) * Stride, a2);
    }
}

/// <summary>
/// The 2×2 outputs Y = Aᵀ m A of one tile from m[ξ] = M[ξ, t, :], plus bias (plus a residual), then ReLU, for every
/// filter: the Conv2D, Add and ReLU layers' order of sums. Outputs past the image's last row or column (a partial
/// tile) are computed but not stored.
/// </summary>
internal unsafe struct WinogradOutputTile : IChannelKernel
{
    public float* M;       // &M[0, t, 0]
    public nint Stride;    // floats from M[ξ, t, 0] to M[ξ + 1, t, 0]
    public float* Y00, Y01, Y10, Y11;   // the four output pixels' [F], null where outside the image
    public float* Bias;    // [F] or null
    public bool Relu;
    /// <summary>Floats from an output to the residual summed into it (the residual is laid out as the output), or 0: none.</summary>
    public nint Residual;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // s = Aᵀ·m, one column at a time (s0 row 0, s1 row 1); then Y = s·A.
            Column<TOps, TVec>(f, 0, out var s00, out var s10);
            Column<TOps, TVec>(f, 1, out var s01, out var s11);
            Column<TOps, TVec>(f, 2, out var s02, out var s12);
            Column<TOps, TVec>(f, 3, out var s03, out var s13);
            TVec bias = Bias == null ? TOps.Zero : TOps.Load(Bias + f);
            Store<TOps, TVec>(Y00, f, TOps.Add(TOps.Add(TOps.Add(s00, s01), s02), bias));
            Store<TOps, TVec>(Y01, f, TOps.Add(TOps.Subtract(TOps.Subtract(s01, s02), s03), bias));
            Store<TOps, TVec>(Y10, f, TOps.Add(TOps.Add(TOps.Add(s10, s11), s12), bias));
            Store<TOps, TVec>(Y11, f, TOps.Add(TOps.Subtract(TOps.Subtract(s11, s12), s13), bias));
        }
        return f;
    }

    /// <summary>Column j of Aᵀ·m: (m0 + m1 + m2, m1 − m2 − m3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Column<TOps, TVec>(int f, int j, out TVec r0, out TVec r1) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        float* m = M + f + j * Stride;
        TVec m0 = TOps.Load(m), m1 = TOps.Load(m + 4 * Stride), m2 = TOps.Load(m + 8 * Stride), m3 = TOps.Load(m + 12 * Stride);
        r0 = TOps.Add(TOps.Add(m0, m1), m2);
        r1 = TOps.Subtract(TOps.Subtract(m1, m2), m3);
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

/// <summary>
/// dM[ξ] = (A dY Aᵀ)[ξ] for one tile's 2×2 output gradients dY, for every filter: the adjoint of
/// <see cref="WinogradOutputTile"/>, for the kernel gradient dU[ξ] = Σ_tiles V[ξ]ᵀ dM[ξ].
/// </summary>
internal unsafe struct WinogradOutputGradientTile : IChannelKernel
{
    public float* Y00, Y01, Y10, Y11;   // the four output pixels' dY [F]; a zero row where outside the image
    public float* M;       // &dM[t, 0, 0]
    public nint Stride;    // floats from dM[t, ξ, 0] to dM[t, ξ + 1, 0]

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // r = A·dY, four rows of two: (y0, y0 + y1, y0 − y1, −y1) down each column; then dM = r·Aᵀ along each row.
            TVec a = TOps.Load(Y00 + f), b = TOps.Load(Y01 + f), c = TOps.Load(Y10 + f), d = TOps.Load(Y11 + f);
            float* m = M + f;
            Row<TOps, TVec>(m, 0, a, b);
            Row<TOps, TVec>(m, 1, TOps.Add(a, c), TOps.Add(b, d));
            Row<TOps, TVec>(m, 2, TOps.Subtract(a, c), TOps.Subtract(b, d));
            Row<TOps, TVec>(m, 3, TOps.Subtract(TOps.Zero, c), TOps.Subtract(TOps.Zero, d));
        }
        return f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Row<TOps, TVec>(float* m, int i, TVec x, TVec y) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TOps.Store(m + 4 * i * Stride, x);
        TOps.Store(m + (4 * i + 1) * Stride, TOps.Add(x, y));
        TOps.Store(m + (4 * i + 2) * Stride, TOps.Subtract(x, y));
        TOps.Store(m + (4 * i + 3) * Stride, TOps.Subtract(TOps.Zero, y));
    }
}

/// <summary>
/// kernelGrad[:, :, c, :] += Gᵀ dU G for one input channel c, for every filter: the adjoint of
/// <see cref="WinogradKernelRow"/>. Gᵀ maps (u0, u1, u2, u3) to (u0 + ½(u1 + u2), ½(u1 − u2), ½(u1 + u2) + u3).
/// </summary>
internal unsafe struct WinogradKernelGradientRow : IChannelKernel
{
    public float* U;       // &dU[0, c, 0]
    public nint Stride;    // floats from dU[ξ, c, 0] to dU[ξ + 1, c, 0]: C·F
    public float* G;       // &kernelGrad[0, 0, c, 0], accumulated
    public nint TapStride; // floats from one tap's row to the next: C·F

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        TVec half = TOps.Broadcast(0.5f);
        for (; f + w <= end; f += w)
        {
            // t = Gᵀ·dU, one column at a time (three rows); then dg = t·G along each row.
            Column<TOps, TVec>(f, 0, half, out var t00, out var t10, out var t20);
            Column<TOps, TVec>(f, 1, half, out var t01, out var t11, out var t21);
            Column<TOps, TVec>(f, 2, half, out var t02, out var t12, out var t22);
            Column<TOps, TVec>(f, 3, half, out var t03, out var t13, out var t23);
            Accumulate<TOps, TVec>(f, 0, half, t00, t01, t02, t03);
            Accumulate<TOps, TVec>(f, 1, half, t10, t11, t12, t13);
            Accumulate<TOps, TVec>(f, 2, half, t20, t21, t22, t23);
        }
        return f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Column<TOps, TVec>(int f, int j, TVec half, out TVec r0, out TVec r1, out TVec r2)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        float* u = U + f + j * Stride;
        TVec u0 = TOps.Load(u), u1 = TOps.Load(u + 4 * Stride), u2 = TOps.Load(u + 8 * Stride), u3 = TOps.Load(u + 12 * Stride);
        TVec inner = TOps.Multiply(half, TOps.Add(u1, u2));
        r0 = TOps.Add(u0, inner);
        r1 = TOps.Multiply(half, TOps.Subtract(u1, u2));
        r2 = TOps.Add(inner, u3);
    }

    /// <summary>Kernel row k += (t0 + ½(t1 + t2), ½(t1 − t2), ½(t1 + t2) + t3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Accumulate<TOps, TVec>(int f, int k, TVec half, TVec t0, TVec t1, TVec t2, TVec t3)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec inner = TOps.Multiply(half, TOps.Add(t1, t2));
        float* g = G + f + 3 * k * TapStride;
        TOps.Store(g, TOps.Add(TOps.Load(g), TOps.Add(t0, inner)));
        TOps.Store(g + TapStride, TOps.Add(TOps.Load(g + TapStride), TOps.Multiply(half, TOps.Subtract(t1, t2))));
        TOps.Store(g + 2 * TapStride, TOps.Add(TOps.Load(g + 2 * TapStride), TOps.Add(inner, t3)));
    }
}
