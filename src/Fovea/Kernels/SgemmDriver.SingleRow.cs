using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

internal static unsafe partial class SgemmDriver<TOps, TVec>
{
    /// <summary>
    /// C[1×N] for a one-row op(A), B not transposed and N a whole number of vectors: B is read in place, row by row.
    /// The arithmetic is the micro-kernel's, element for element (per k block an FMA chain from zero over p, then
    /// + C, + bias, ReLU), so a row computed here is bit-identical to the same row computed inside a larger M.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRow(in GemmArgs g)
    {
        ref readonly var op = ref g.Operands;
        int w = TOps.Count, wide = 4 * w;
        nint aStride = op.TransA ? op.Lda : 1;
        for (int pc = 0; pc < op.K; pc += g.Blocking.Kc)
        {
            int kb = Math.Min(g.Blocking.Kc, op.K - pc);
            bool load = g.Epilogue.Accumulate || pc > 0, last = pc + kb == op.K;
            float* a = op.A + pc * aStride;
            float* bias = last ? g.Epilogue.Bias : null;
            bool relu = last && g.Epilogue.Relu;
            int j = 0;
            for (; j + wide <= op.N; j += wide)
            {
                TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
                float* b = op.B + pc * op.Ldb + j;
                for (int p = 0; p < kb; p++, b += op.Ldb)
                {
                    TVec x = TOps.Broadcast(a[p * aStride]);
                    c0 = TOps.MultiplyAdd(x, TOps.Load(b), c0);
                    c1 = TOps.MultiplyAdd(x, TOps.Load(b + w), c1);
                    c2 = TOps.MultiplyAdd(x, TOps.Load(b + 2 * w), c2);
                    c3 = TOps.MultiplyAdd(x, TOps.Load(b + 3 * w), c3);
                }
                float* c = op.C + j;
                RegisterTile<TOps, TVec, Rows6>.StoreRow(c, c0, c1, load, bias == null ? null : bias + j, relu);
                RegisterTile<TOps, TVec, Rows6>.StoreRow(c + 2 * w, c2, c3, load, bias == null ? null : bias + j + 2 * w, relu);
            }
            for (; j < op.N; j += w)
            {
                TVec c0 = TOps.Zero;
                float* b = op.B + pc * op.Ldb + j;
                for (int p = 0; p < kb; p++, b += op.Ldb) c0 = TOps.MultiplyAdd(TOps.Broadcast(a[p * aStride]), TOps.Load(b), c0);
                StoreVector(op.C + j, c0, load, bias == null ? null : bias + j, relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector(float* c, TVec v, bool load, float* bias, bool relu)
    {
        if (load) v = TOps.Add(v, TOps.Load(c));
        if (bias != null) v = TOps.Add(v, TOps.Load(bias));
        if (relu) v = TOps.Relu(v);
        TOps.Store(c, v);
    }
}
