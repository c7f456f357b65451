using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

internal static unsafe partial class SgemmDriver<TOps, TVec>
{
    /// <summary>Packs op(B)[pc.., jc..] (kb × nb) as NR-column panels, each kb rows of NR floats, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(in GemmOperands op, int pc, int kb, int jc, int nb, float* dst)
    {
        int nr = NR;
        for (int q = 0; q < nb; q += nr, dst += (nint)kb * nr)
        {
            int cols = Math.Min(nr, nb - q);
            if (!op.TransB) PackBPanel(op.B + pc * op.Ldb + jc + q, op.Ldb, kb, cols, dst);
            else PackBPanelTransposed(op.B + (jc + q) * op.Ldb + pc, op.Ldb, kb, cols, dst);   // row j of the stored B is column j of op(B)
        }
    }

    /// <summary>One panel of a non-transposed B: kb rows of <paramref name="cols"/> floats, zero-padded to NR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanel(float* src, nint ldb, int kb, int cols, float* dst)
    {
        int nr = NR, w = TOps.Count;
        for (int p = 0; p < kb; p++, src += ldb)
        {
            float* d = dst + p * nr;
            if (cols == nr)
            {
                TOps.Store(d, TOps.Load(src));
                TOps.Store(d + w, TOps.Load(src + w));
            }
            else
            {
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                new Span<float>(d + cols, nr - cols).Clear();
            }
        }
    }

    /// <summary>One panel of a transposed B: <paramref name="cols"/> stored rows of kb floats become kb panel rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanelTransposed(float* src, nint ldb, int kb, int cols, float* dst)
    {
        int nr = NR;
        if (cols < nr) new Span<float>(dst, kb * nr).Clear();
        int j = 0;
        if (Avx.IsSupported && nr % 8 == 0)
        {
            // 8×8 blocks; for transB with small m (dense dX) a scalar transpose cost a third of the call.
            for (; j + 8 <= cols; j += 8)
            {
                int p = 0;
                for (; p + 8 <= kb; p += 8)
                    Transpose.Block8x8(src + j * ldb + p, ldb, dst + p * nr + j, nr);
                for (int jj = j; jj < j + 8; jj++)
                    for (int pp = p; pp < kb; pp++) dst[pp * nr + jj] = src[jj * ldb + pp];
            }
        }
        for (; j < cols; j++)
        {
            float* s = src + j * ldb;
            float* d = dst + j;
            for (int p = 0; p < kb; p++) d[p * nr] = s[p];
        }
    }

    /// <summary>Packs op(B) (k × n; stored with row stride ldb, transposed when <paramref name="transB"/>) as NR-column
    /// panels over the whole depth: panel q at dst + q·k·NR, row p of it at + p·NR, zero-padded past n
    /// (<see cref="GemmOperands.PackedB"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanels(float* b, int k, int n, nint ldb, bool transB, float* dst)
    {
        var op = new GemmOperands { B = b, Ldb = ldb, TransB = transB, K = k, N = n };
        PackB(in op, 0, k, 0, n, dst);
    }

    /// <summary>Packs op(A)[ic.., pc..] (mb × kb) as MR-row panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(in GemmOperands op, int ic, int mb, int pc, int kb, float* dst)
    {
        for (int t = 0; t < mb; t += MR, dst += (nint)kb * MR)
            PackAPanel(in op, ic + t, Math.Min(MR, mb - t), pc, kb, dst);
    }

    /// <summary>One MR-row panel of op(A): dst[p·MR + r] = op(A)[i + r, pc + p], rows past <paramref name="rows"/> zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAPanel(in GemmOperands op, int i, int rows, int pc, int kb, float* dst)
    {
        if (rows < MR) new Span<float>(dst, kb * MR).Clear();
        if (!op.TransA)
        {
            for (int r = 0; r < rows; r++)
            {
                float* src = op.A + (i + r) * op.Lda + pc;
                float* d = dst + r;
                for (int p = 0; p < kb; p++) d[p * MR] = src[p];
            }
        }
        else
        {
            float* src = op.A + pc * op.Lda + i;
            for (int p = 0; p < kb; p++, src += op.Lda)
                for (int r = 0; r < rows; r++) dst[p * MR + r] = src[r];
        }
    }
}
