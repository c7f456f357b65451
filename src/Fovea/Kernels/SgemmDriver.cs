using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// Goto/BLIS SGEMM, written once and specialised per vector width through <typeparamref name="TOps"/>.
/// Loops, outside in: jc over Nc columns → pc over Kc depths (pack B block, kc×nc, in NR-column panels) →
/// ic over Mc rows (A block, mc×kc, stays in L2) → jr over NR panels (B panel, kc×NR, stays in L1) →
/// ir over MR rows → the MR×NR register tile (<see cref="RegisterTile{TOps, TVec, TRows}"/>).
/// This file holds the blocked loops and the micro-kernel; the other parts of the class: packing, the private
/// block of C, the convolution's patch tiles and row tiles, and the one-row product.
/// Every method is AggressiveOptimization: at tier 0 the TOps calls are real calls and packing crawls, and on a
/// busy machine the background tier-up took seconds (conv2 forward measured 85 GFLOPS before it, 210 after).
/// </summary>
internal static unsafe partial class SgemmDriver<TOps, TVec>
    where TOps : struct, IVectorOps<TVec>
    where TVec : unmanaged
{
    /// <summary>Rows of the register tile. 6 rows × 2 vectors = 12 accumulators + 2 B vectors + 1 broadcast
    /// fit in 16 registers, so the same tile serves AVX2 and SSE. With AVX-512 the 12 independent FMA chains
    /// cover 2 pipes × 4-cycle latency; on this machine the 6×32 kernel runs at 245–260 GFLOPS per core against
    /// a 270 GFLOPS register-only FMA loop (bench --peak), so a bigger tile has little left to win.</summary>
    public const int MR = 6;

    /// <summary>Columns of the register tile: two vectors.</summary>
    public static int NR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * TOps.Count;
    }

    /// <summary>Computes rows [i0, i1) × columns [j0, j1) of C over the whole k range. i0 is a multiple of MR
    /// and j0 of NR, so every part of a parallel run sees the same panels and edges as a serial run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmArgs g, int i0, int i1, int j0, int j1, int privateCMaxFloats)
    {
        ref readonly var op = ref g.Operands;
        int width = RoundUp(j1 - j0, NR);
        if (op.K > g.Blocking.Kc && (long)(i1 - i0) * width <= privateCMaxFloats)
        {
            RunPrivateC(in g, i0, i1, j0, j1, width);
            return;
        }
        RunBlocks(in g, i0, i1, j0, j1);
        if (!g.Epilogue.Gelu) return;
        if (j0 == 0 && j1 == op.N && op.Ldc == op.N) Gelu.ForwardInPlace(op.C + i0 * op.Ldc, (i1 - i0) * op.N);
        else for (int i = i0; i < i1; i++) Gelu.ForwardInPlace(op.C + i * op.Ldc + j0, j1 - j0);
    }

    /// <summary>One k block of one column block: its depths, its packed operands, its place in the sum.</summary>
    private struct KBlock
    {
        public int Pc, Kb;          // depths [Pc, Pc + Kb)
        public int ColumnsStart, ColumnsEnd;   // the column block [jc, jc + nb)
        public bool Load;           // add what C holds (the caller's C or earlier k blocks)
        public bool Last;           // the last k block: bias and ReLU follow
        public bool Streaming;      // panels read one after another over the whole depth (RunPanelsWholeDepth): the next chunk follows
        public float* BPack, APack, EdgeA;
        public nint* Corners;       // a kernel gradient over patches: each pixel's corner, found once for all tiles
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlocks(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        ref readonly var op = ref g.Operands;
        ref readonly var blocking = ref g.Blocking;
        int nr = NR;
        var buffers = PackBuffers.ForThisThread;
        int kcMax = Math.Min(blocking.Kc, op.K);
        int ncMax = Math.Min(blocking.Nc, j1 - j0);
        int mcMax = Math.Min(blocking.Mc, i1 - i0);
        var block = new KBlock
        {
            BPack = buffers.B((nint)kcMax * RoundUp(ncMax, nr)),
            APack = blocking.PackA ? buffers.A((nint)kcMax * RoundUp(mcMax, MR)) : null,
            EdgeA = buffers.Edge((nint)kcMax * MR),
            Corners = g.Patches.Images != null && op.TransA ? buffers.Corners(kcMax) : null,
        };
        if (op.PackedB != null && g.Blocking.RowTile > 0 && i1 - i0 <= mcMax && g.Blocking.PanelMajor)
        {
            RunPanelsWholeDepth(in g, buffers, ref block, i0, i1, j0, j1, kcMax);
            return;
        }
        for (int jc = j0; jc < j1; jc += ncMax)
        {
            int nb = Math.Min(ncMax, j1 - jc);
            block.ColumnsStart = jc;
            block.ColumnsEnd = jc + nb;
            for (int pc = 0; pc < op.K; pc += kcMax)
            {
                block.Pc = pc;
                block.Kb = Math.Min(kcMax, op.K - pc);
                block.Load = g.Epilogue.Accumulate || pc > 0;
                block.Last = pc + block.Kb == op.K;
                // DirectB: full panels are read in place; a block with an edge panel is packed whole (padded).
                if (op.PackedB == null && (!blocking.DirectB || nb % nr != 0)) PackB(in op, pc, block.Kb, jc, nb, block.BPack);
                if (block.Corners != null) g.Patches.Corners(g.PatchFirstRow + pc, block.Kb, block.Corners);
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mb = Math.Min(mcMax, i1 - ic);
                    if (blocking.PackA) PackA(in op, ic, mb, pc, block.Kb, block.APack);
                    else if (mb % MR != 0 && g.Patches.Images == null) PackAPanel(in op, ic + mb / MR * MR, mb % MR, pc, block.Kb, block.EdgeA);
                    for (int jr = 0; jr < nb; jr += nr)
                        RunPanel(in g, buffers, in block, ic, mb, jc + jr, Math.Min(nr, nb - jr), jr);
                }
            }
        }
    }

    /// <summary>
    /// A packed kernel read once, panel after panel over its whole depth, by rows few enough for one A block (a
    /// batch-1 forward pass over patches): the kernel then streams from memory in the order it is stored, which the
    /// hardware prefetcher follows, instead of one k block of every panel before the next k block. Each C element
    /// still sums its k blocks in order, so the bits are those of <see cref="RunBlocks"/>'s order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPanelsWholeDepth(in GemmArgs g, PackBuffers buffers, ref KBlock block, int i0, int i1, int j0, int j1, int kcMax)
    {
        ref readonly var op = ref g.Operands;
        int nr = NR;
        block.ColumnsStart = j0;
        block.ColumnsEnd = j1;
        block.Streaming = true;
        for (int j = j0; j < j1; j += nr)
            for (int pc = 0; pc < op.K; pc += kcMax)
            {
                block.Pc = pc;
                block.Kb = Math.Min(kcMax, op.K - pc);
                block.Load = g.Epilogue.Accumulate || pc > 0;
                block.Last = pc + block.Kb == op.K;
                RunPanel(in g, buffers, in block, i0, i1 - i0, j, Math.Min(nr, j1 - j), j - j0);
            }
    }

    /// <summary>Rows [ic, ic + mb) × one NR-column panel (columns [j, j + ncur)) of C, for one k block; jr is the
    /// panel's place in the packed B block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPanel(in GemmArgs g, PackBuffers buffers, in KBlock block, int ic, int mb, int j, int ncur, int jr)
    {
        ref readonly var op = ref g.Operands;
        int nr = NR, kb = block.Kb;
        float* bPanel = block.BPack + (nint)jr * kb;   // panel jr/NR starts at (jr/NR)·kb·NR
        nint bStride = nr;
        if (op.PackedB != null) bPanel = op.PackedB + (nint)(j / nr) * op.K * nr + (nint)block.Pc * nr;
        else if (g.Blocking.DirectB && ncur == nr) { bPanel = op.B + block.Pc * op.Ldb + j; bStride = op.Ldb; }
        var tile = new TileEpilogue
        {
            Load = block.Load,
            Bias = block.Last && g.Epilogue.Bias != null ? g.Epilogue.Bias + j : null,
            Relu = block.Last && g.Epilogue.Relu,
        };
        if (g.Blocking.RowTile > 0)
        {
            RowTiles(in g, buffers, in block, ic, mb, j, ncur, bPanel, bStride, in tile);
            return;
        }
        for (int ir = 0; ir < mb; ir += MR)
        {
            int mcur = Math.Min(MR, mb - ir), i = ic + ir;
            float* c = op.C + i * op.Ldc + j;
            if (g.Patches.Images != null)
            {
                if (op.TransA) PatchTileTransposed(in g, buffers, i, mcur, ncur, block.Corners, kb, bPanel, bStride, c, in tile);
                else PatchTile(in g, buffers, i, mcur, ncur, block.Pc, kb, bPanel, bStride, c, in tile);
                continue;
            }
            float* a;
            nint rowStride, depthStride;
            if (g.Blocking.PackA) { a = block.APack + (nint)ir * kb; rowStride = 1; depthStride = MR; }
            else if (mcur < MR) { a = block.EdgeA; rowStride = 1; depthStride = MR; }
            else if (op.TransA) { a = op.A + block.Pc * op.Lda + i; rowStride = 1; depthStride = op.Lda; }
            else { a = op.A + i * op.Lda + block.Pc; rowStride = op.Lda; depthStride = 1; }
            if (mcur == MR && ncur == nr)
            {
                MicroKernel(kb, a, rowStride, depthStride, bPanel, bStride, c, op.Ldc, tile.Load, tile.Bias, tile.Relu);
                continue;
            }
            // A tile cut by the edge of C: the full kernel on a padded scratch tile (A and B panels are zero-padded
            // already), then the part that exists copied back. Same arithmetic as a full tile.
            var scratch = ScratchTile.Begin(buffers, MR, mcur, ncur, nr, c, op.Ldc, in tile);
            MicroKernel(kb, a, rowStride, depthStride, bPanel, bStride, scratch.C, nr, tile.Load, scratch.Bias, tile.Relu);
            scratch.End(c, op.Ldc);
        }
    }

    /// <summary>
    /// C[0..MR, 0..NR) = (load ? C : 0) + Σ_p a[r·rowStride + p·depthStride] · b[p·bStride + j], then + bias, ReLU.
    /// A is read through two strides so one kernel serves packed panels (1, MR), row-major A (lda, 1) and
    /// transposed A (1, lda) — small-n shapes like conv forward (n = 32) then skip an A copy that would cost
    /// about as much as the FMAs. B advances by bStride: NR when packed, ldb when read in place.
    /// The JIT turns the loop body into 2 loads, 6 broadcasts, 12 FMAs and 4 scalar ops (checked with JitDisasm).
    /// NoInlining: with TieredPGO the JIT inlined it into the hot caller in about two processes out of three, and the
    /// GEMM then ran 2–2.5× slower (fovea bench, 8 of 12 runs slow; 6 of 6 fast with this attribute).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel(int kc, float* a, nint rowStride, nint depthStride, float* b, nint bStride,
                                    float* c, nint ldc, bool load, float* bias, bool relu)
    {
        var t = RegisterTile<TOps, TVec, Rows6>.Zero;
        float* a1 = a + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, a4 = a3 + rowStride, a5 = a4 + rowStride;
        nint off = 0;
        for (int p = 0; p < kc; p++, b += bStride, off += depthStride)
            t.MultiplyAdd(b, off, a, a1, a2, a3, a4, a5);
        t.Store(c, ldc, load, bias, relu);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
