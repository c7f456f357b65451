using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

// The transforms F(4×4, 3×3) needs in training (see WinogradF4.cs for Bᵀ, G and Aᵀ): the kernel transform in
// float, vectorised over the filters (a training step transforms the kernel in every pass, where inference's
// double transform, done once, would cost more than the GEMMs it feeds), also for the 180°-turned kernel of the
// input gradient (F(4×4)'s points do not map the turned kernel's transform onto a permutation of U, as
// F(2×2)'s do); the output gradient's dM = A dY Aᵀ; and the kernel gradient's Gᵀ dU G.
//     A = [1  0  0  0]      Gᵀ = [1/4  −1/6  −1/6  1/24   1/24  0]
//         [1  1  1  1]           [ 0   −1/6   1/6  1/12  −1/12  0]
//         [1 −1  1 −1]           [ 0   −1/6  −1/6   1/6    1/6  1]
//         [1  2  4  8]
//         [1 −2  4 −8]
//         [0  0  0  1]

/// <summary>U[ξ, c, f] = (G g Gᵀ)[ξ] in float for one input channel c, every filter; with <see cref="Turned"/>,
/// of the kernel turned 180° (tap (i, j) read from (2 − i, 2 − j)).</summary>
internal unsafe struct WinogradF4KernelRow : IChannelKernel
{
    public float* G;       // &kernel[0, 0, c, 0]
    public nint TapStride; // floats from one tap's row to the next: C·F
    public float* U;       // &U[0, c, 0]
    public nint Stride;    // floats from U[ξ, c, 0] to U[ξ + 1, c, 0]: C·F
    public bool Turned;
    public float* Scratch; // 18 vectors of the widest width: G·g, row by row

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // a = G·g one kernel column at a time into the scratch (a[r, j] at (3·r + j)·w), then U = a·Gᵀ row by row.
            for (int j = 0; j < 3; j++)
            {
                GTimes<TOps, TVec>(Tap<TOps, TVec>(f, 0, j), Tap<TOps, TVec>(f, 1, j), Tap<TOps, TVec>(f, 2, j),
                    out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                TOps.Store(Scratch + j * w, r0);
                TOps.Store(Scratch + (3 + j) * w, r1);
                TOps.Store(Scratch + (6 + j) * w, r2);
                TOps.Store(Scratch + (9 + j) * w, r3);
                TOps.Store(Scratch + (12 + j) * w, r4);
                TOps.Store(Scratch + (15 + j) * w, r5);
            }
            for (int r = 0; r < 6; r++)
            {
                float* a = Scratch + 3 * r * w;
                GTimes<TOps, TVec>(TOps.Load(a), TOps.Load(a + w), TOps.Load(a + 2 * w),
                    out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
                float* u = U + f + 6 * r * Stride;
                TOps.Store(u, u0);
                TOps.Store(u + Stride, u1);
                TOps.Store(u + 2 * Stride, u2);
                TOps.Store(u + 3 * Stride, u3);
                TOps.Store(u + 4 * Stride, u4);
                TOps.Store(u + 5 * Stride, u5);
            }
        }
        return f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly TVec Tap<TOps, TVec>(int f, int i, int j) where TOps : IVectorOps<TVec> where TVec : unmanaged =>
        TOps.Load(G + f + (Turned ? 3 * (2 - i) + 2 - j : 3 * i + j) * TapStride);

    /// <summary>G·x for three vectors x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GTimes<TOps, TVec>(TVec x0, TVec x1, TVec x2,
                                          out TVec r0, out TVec r1, out TVec r2, out TVec r3, out TVec r4, out TVec r5)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec sixth = TOps.Broadcast(-1f / 6), outer = TOps.Add(x0, x2);
        TVec p = TOps.MultiplyAdd(TOps.Broadcast(1f / 24), x0, TOps.Multiply(TOps.Broadcast(1f / 6), x2));
        TVec q = TOps.Multiply(TOps.Broadcast(1f / 12), x1);
        r0 = TOps.Multiply(TOps.Broadcast(0.25f), x0);
        r1 = TOps.Multiply(sixth, TOps.Add(outer, x1));
        r2 = TOps.Multiply(sixth, TOps.Subtract(outer, x1));
        r3 = TOps.Add(p, q);
        r4 = TOps.Subtract(p, q);
        r5 = x2;
    }
}

/// <summary>dM[t, ξ, :] = (A dY Aᵀ)[ξ] for one tile's 4×4 output gradient, every filter.</summary>
internal unsafe struct WinogradF4OutputGradientTile : IChannelKernel
{
    public float** Y;      // the 16 output pixels' dY [F], row-major; a zero row where outside the image
    public float* M;       // &dM[t, 0, 0]
    public nint Stride;    // floats from dM[t, ξ, 0] to dM[t, ξ + 1, 0]
    public float* Scratch; // 24 vectors of the widest width: A·dY, column by column

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // r = A·dY one column at a time into the scratch (r[i, j] at (4·i + j)·w), then dM = r·Aᵀ row by row.
            for (int j = 0; j < 4; j++)
            {
                ATimes<TOps, TVec>(TOps.Load(Y[j] + f), TOps.Load(Y[4 + j] + f), TOps.Load(Y[8 + j] + f), TOps.Load(Y[12 + j] + f),
                    out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                TOps.Store(Scratch + j * w, r0);
                TOps.Store(Scratch + (4 + j) * w, r1);
                TOps.Store(Scratch + (8 + j) * w, r2);
                TOps.Store(Scratch + (12 + j) * w, r3);
                TOps.Store(Scratch + (16 + j) * w, r4);
                TOps.Store(Scratch + (20 + j) * w, r5);
            }
            for (int i = 0; i < 6; i++)
            {
                float* r = Scratch + 4 * i * w;
                ATimes<TOps, TVec>(TOps.Load(r), TOps.Load(r + w), TOps.Load(r + 2 * w), TOps.Load(r + 3 * w),
                    out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
                float* m = M + f + 6 * i * Stride;
                TOps.Store(m, m0);
                TOps.Store(m + Stride, m1);
                TOps.Store(m + 2 * Stride, m2);
                TOps.Store(m + 3 * Stride, m3);
                TOps.Store(m + 4 * Stride, m4);
                TOps.Store(m + 5 * Stride, m5);
            }
        }
        return f;
    }

    /// <summary>A·x for four vectors x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ATimes<TOps, TVec>(TVec x0, TVec x1, TVec x2, TVec x3,
                                          out TVec r0, out TVec r1, out TVec r2, out TVec r3, out TVec r4, out TVec r5)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec even = TOps.Add(x0, x2), odd = TOps.Add(x1, x3);
        TVec even4 = TOps.MultiplyAdd(TOps.Broadcast(4f), x2, x0), odd4 = TOps.MultiplyAdd(TOps.Broadcast(4f), x3, x1);
        TVec two = TOps.Broadcast(2f);
        r0 = x0;
        r1 = TOps.Add(even, odd);
        r2 = TOps.Subtract(even, odd);
        r3 = TOps.MultiplyAdd(two, odd4, even4);    // x0 + 4·x2 + 2·(x1 + 4·x3)
        r4 = TOps.Subtract(even4, TOps.Multiply(two, odd4));
        r5 = x3;
    }
}

/// <summary>kernelGrad[:, :, c, :] += (Gᵀ dU G) for one input channel c, every filter.</summary>
internal unsafe struct WinogradF4KernelGradientRow : IChannelKernel
{
    public float* U;       // &dU[0, c, 0]
    public nint Stride;    // floats from dU[ξ, c, 0] to dU[ξ + 1, c, 0]: C·F
    public float* G;       // &kernelGrad[0, 0, c, 0], accumulated
    public nint TapStride; // floats from one tap's row to the next: C·F
    public float* Scratch; // 18 vectors of the widest width: Gᵀ·dU, column by column

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOps, TVec>(int f, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count;
        for (; f + w <= end; f += w)
        {
            // t = Gᵀ·dU one column at a time into the scratch (t[k, j] at (6·k + j)·w), then dg = t·G row by row.
            for (int j = 0; j < 6; j++)
            {
                float* u = U + f + j * Stride;
                nint s = 6 * Stride;
                GTransposeTimes<TOps, TVec>(TOps.Load(u), TOps.Load(u + s), TOps.Load(u + 2 * s), TOps.Load(u + 3 * s),
                    TOps.Load(u + 4 * s), TOps.Load(u + 5 * s), out var t0, out var t1, out var t2);
                TOps.Store(Scratch + j * w, t0);
                TOps.Store(Scratch + (6 + j) * w, t1);
                TOps.Store(Scratch + (12 + j) * w, t2);
            }
            for (int k = 0; k < 3; k++)
            {
                float* t = Scratch + 6 * k * w;
                GTransposeTimes<TOps, TVec>(TOps.Load(t), TOps.Load(t + w), TOps.Load(t + 2 * w), TOps.Load(t + 3 * w),
                    TOps.Load(t + 4 * w), TOps.Load(t + 5 * w), out var g0, out var g1, out var g2);
                float* g = G + f + 3 * k * TapStride;
                TOps.Store(g, TOps.Add(TOps.Load(g), g0));
                TOps.Store(g + TapStride, TOps.Add(TOps.Load(g + TapStride), g1));
                TOps.Store(g + 2 * TapStride, TOps.Add(TOps.Load(g + 2 * TapStride), g2));
            }
        }
        return f;
    }

    /// <summary>Gᵀ·x for six vectors x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GTransposeTimes<TOps, TVec>(TVec x0, TVec x1, TVec x2, TVec x3, TVec x4, TVec x5,
                                                   out TVec r0, out TVec r1, out TVec r2)
        where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec sixth = TOps.Broadcast(1f / 6);
        TVec plus = TOps.Add(x1, x2), minus = TOps.Subtract(x2, x1), far = TOps.Add(x3, x4), farMinus = TOps.Subtract(x3, x4);
        // u0/4 − (u1 + u2)/6 + (u3 + u4)/24;  (u2 − u1)/6 + (u3 − u4)/12;  (u3 + u4 − u1 − u2)/6 + u5
        r0 = TOps.MultiplyAdd(TOps.Broadcast(1f / 24), far, TOps.MultiplyAdd(TOps.Broadcast(-1f / 6), plus, TOps.Multiply(TOps.Broadcast(0.25f), x0)));
        r1 = TOps.MultiplyAdd(TOps.Broadcast(1f / 12), farMinus, TOps.Multiply(sixth, minus));
        r2 = TOps.MultiplyAdd(sixth, TOps.Subtract(far, plus), x5);
    }
}
