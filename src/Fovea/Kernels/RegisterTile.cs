using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>A register tile's row count as a type, so that the JIT compiles one kernel per count without the unused rows.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows3 : IRowCount { public static int Count => 3; }
internal readonly struct Rows4 : IRowCount { public static int Count => 4; }
internal readonly struct Rows5 : IRowCount { public static int Count => 5; }
internal readonly struct Rows6 : IRowCount { public static int Count => 6; }
internal readonly struct Rows7 : IRowCount { public static int Count => 7; }
internal readonly struct Rows8 : IRowCount { public static int Count => 8; }

/// <summary>
/// The FMA accumulators of one register tile: <typeparamref name="TRows"/> rows (up to 8) × 2 vectors (NR columns).
/// Each step broadcasts one float of every row of A against the same two vectors of B. This is the one place the
/// tile's body is written: the GEMM micro-kernel, the patch kernels, the row tiles and the fused input gradient all
/// inline it, and the JIT keeps the accumulators in registers (6 rows: 12 accumulators + 2 B vectors + 1 broadcast
/// fit AVX2's 16 registers; 8 rows: 16 accumulators, in AVX-512's 32). Rows past the count are never touched.
/// </summary>
internal unsafe struct RegisterTile<TOps, TVec, TRows>
    where TOps : struct, IVectorOps<TVec>
    where TVec : unmanaged
    where TRows : struct, IRowCount
{
    private TVec _c00, _c01, _c10, _c11, _c20, _c21, _c30, _c31, _c40, _c41, _c50, _c51, _c60, _c61, _c70, _c71;

    /// <summary>All accumulators +0, where every FMA chain starts.</summary>
    public static RegisterTile<TOps, TVec, TRows> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var t = default(RegisterTile<TOps, TVec, TRows>);
            t._c00 = t._c01 = t._c10 = t._c11 = t._c20 = t._c21 = t._c30 = t._c31 = TOps.Zero;
            t._c40 = t._c41 = t._c50 = t._c51 = t._c60 = t._c61 = t._c70 = t._c71 = TOps.Zero;
            return t;
        }
    }

    /// <summary>c[r, ·] += a_r[off] · b[0, NR) for every row r: one step of each row's FMA chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(float* b, nint off, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5,
                            float* a6 = null, float* a7 = null)
    {
        TVec b0 = TOps.Load(b), b1 = TOps.Load(b + TOps.Count);
        TVec x = TOps.Broadcast(a0[off]);
        _c00 = TOps.MultiplyAdd(x, b0, _c00); _c01 = TOps.MultiplyAdd(x, b1, _c01);
        x = TOps.Broadcast(a1[off]);
        _c10 = TOps.MultiplyAdd(x, b0, _c10); _c11 = TOps.MultiplyAdd(x, b1, _c11);
        x = TOps.Broadcast(a2[off]);
        _c20 = TOps.MultiplyAdd(x, b0, _c20); _c21 = TOps.MultiplyAdd(x, b1, _c21);
        if (TRows.Count > 3)
        {
            x = TOps.Broadcast(a3[off]);
            _c30 = TOps.MultiplyAdd(x, b0, _c30); _c31 = TOps.MultiplyAdd(x, b1, _c31);
        }
        if (TRows.Count > 4)
        {
            x = TOps.Broadcast(a4[off]);
            _c40 = TOps.MultiplyAdd(x, b0, _c40); _c41 = TOps.MultiplyAdd(x, b1, _c41);
        }
        if (TRows.Count > 5)
        {
            x = TOps.Broadcast(a5[off]);
            _c50 = TOps.MultiplyAdd(x, b0, _c50); _c51 = TOps.MultiplyAdd(x, b1, _c51);
        }
        if (TRows.Count > 6)
        {
            x = TOps.Broadcast(a6[off]);
            _c60 = TOps.MultiplyAdd(x, b0, _c60); _c61 = TOps.MultiplyAdd(x, b1, _c61);
        }
        if (TRows.Count > 7)
        {
            x = TOps.Broadcast(a7[off]);
            _c70 = TOps.MultiplyAdd(x, b0, _c70); _c71 = TOps.MultiplyAdd(x, b1, _c71);
        }
    }

    /// <summary>this += other, accumulator by accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in RegisterTile<TOps, TVec, TRows> other)
    {
        _c00 = TOps.Add(other._c00, _c00); _c01 = TOps.Add(other._c01, _c01);
        _c10 = TOps.Add(other._c10, _c10); _c11 = TOps.Add(other._c11, _c11);
        _c20 = TOps.Add(other._c20, _c20); _c21 = TOps.Add(other._c21, _c21);
        if (TRows.Count > 3) { _c30 = TOps.Add(other._c30, _c30); _c31 = TOps.Add(other._c31, _c31); }
        if (TRows.Count > 4) { _c40 = TOps.Add(other._c40, _c40); _c41 = TOps.Add(other._c41, _c41); }
        if (TRows.Count > 5) { _c50 = TOps.Add(other._c50, _c50); _c51 = TOps.Add(other._c51, _c51); }
        if (TRows.Count > 6) { _c60 = TOps.Add(other._c60, _c60); _c61 = TOps.Add(other._c61, _c61); }
        if (TRows.Count > 7) { _c70 = TOps.Add(other._c70, _c70); _c71 = TOps.Add(other._c71, _c71); }
    }

    /// <summary>Writes row r to c + r·ldc through the GEMM's epilogue: + what C held (earlier k blocks or the
    /// caller's C) when <paramref name="load"/>, + bias, then ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* c, nint ldc, bool load = false, float* bias = null, bool relu = false)
    {
        StoreRow(c, _c00, _c01, load, bias, relu);
        StoreRow(c + ldc, _c10, _c11, load, bias, relu);
        StoreRow(c + 2 * ldc, _c20, _c21, load, bias, relu);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, _c30, _c31, load, bias, relu);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, _c40, _c41, load, bias, relu);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, _c50, _c51, load, bias, relu);
        if (TRows.Count > 6) StoreRow(c + 6 * ldc, _c60, _c61, load, bias, relu);
        if (TRows.Count > 7) StoreRow(c + 7 * ldc, _c70, _c71, load, bias, relu);
    }

    /// <summary>Epilogue of one tile row: add what C held, then bias, then ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(float* c, TVec v0, TVec v1, bool load, float* bias, bool relu)
    {
        int w = TOps.Count;
        if (load)
        {
            v0 = TOps.Add(v0, TOps.Load(c));
            v1 = TOps.Add(v1, TOps.Load(c + w));
        }
        if (bias != null)
        {
            v0 = TOps.Add(v0, TOps.Load(bias));
            v1 = TOps.Add(v1, TOps.Load(bias + w));
        }
        if (relu)
        {
            v0 = TOps.Relu(v0);
            v1 = TOps.Relu(v1);
        }
        TOps.Store(c, v0);
        TOps.Store(c + w, v1);
    }
}
