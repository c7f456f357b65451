using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

/// <summary>One validated SGEMM call, as raw pointers (see <see cref="Sgemm.Multiply"/> for the meaning).</summary>
internal unsafe struct GemmArgs
{
    public int M, N, K;
    public float* A;        // op(A) [M, K]: A[i*Lda + p], or A[p*Lda + i] when TransA
    public nint Lda;
    public bool TransA;
    public float* B;        // op(B) [K, N]: B[p*Ldb + j], or B[j*Ldb + p] when TransB
    public nint Ldb;
    public bool TransB;
    public float* C;        // [M, Ldc]
    public nint Ldc;
    public bool Accumulate;
    public float* Bias;     // [N] or null
    public bool Relu;

    /// <summary>Depth of one k block. Chosen from K alone, so the order in which each C element is summed
    /// (k blocks in turn, each an FMA chain over p) does not depend on threads, blocking over M/N or CPU path.</summary>
    public int Kc;
    /// <summary>Rows of A per L2-resident block.</summary>
    public int Mc;
    /// <summary>Columns of B per packed block.</summary>
    public int Nc;
    /// <summary>Copy A into MR-row panels; otherwise the micro-kernel reads A in place through two strides.</summary>
    public bool PackA;
    /// <summary>Read full-width panels of a non-transposed B in place (row stride Ldb) instead of packing them.</summary>
    public bool DirectB;
    /// <summary>When its images are set, op(A) is this convolution's patch matrix, read in place (A is unused); with
    /// TransA, its transpose: row r a kernel tap, depth p the pixel PatchFirstRow + p.</summary>
    public PatchSource Patches;
    public int PatchFirstRow;
    /// <summary>A forward pass over patches in tiles that cut output rows (this many pixels, 3–16) into at most 8
    /// pixels each instead of MR rows: no rows wasted on a 7- or 15-pixel-wide map, and a k block whose kernel rows
    /// all read the zero border of a tile's output row is skipped (<see cref="SgemmDriver{TOps, TVec}.RowTile"/>).
    /// 0: MR-row tiles.</summary>
    public int RowTile;
    /// <summary>Apply the exact GELU to each part's block of C once it is complete (<see cref="Gelu.ForwardInPlace"/>),
    /// while it is in the cache of the core that wrote it; after bias and ReLU.</summary>
    public bool Gelu;
    /// <summary>When set, op(B) already packed by <see cref="Sgemm.PackPanels"/>: NR-column panels over the whole
    /// depth, panel q at PackedB + q·K·NR, zero-padded; B and DirectB are then unused.</summary>
    public float* PackedB;
}

/// <summary>
/// Goto/BLIS SGEMM, written once and specialised per vector width through <typeparamref name="TOps"/>.
/// Loops, outside in: jc over Nc columns → pc over Kc depths (pack B block, kc×nc, in NR-column panels) →
/// ic over Mc rows (A block, mc×kc, stays in L2) → jr over NR panels (B panel, kc×NR, stays in L1) →
/// ir over MR rows → the MR×NR register-tiled micro-kernel.
/// Every method is AggressiveOptimization: at tier 0 the TOps calls are real calls and packing crawls, and on a
/// busy machine the background tier-up took seconds (conv2 forward measured 85 GFLOPS before it, 210 after).
/// </summary>
internal static unsafe class SgemmDriver<TOps, TVec>
    where TOps : struct, IFloatVector<TVec>
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
    public static void Run(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        int nr = NR;
        int width = RoundUp(j1 - j0, nr);
        if (g.K > g.Kc && (long)(i1 - i0) * width <= Sgemm.Tuning.PrivateCMaxFloats)
        {
            RunPrivateC(in g, i0, i1, j0, j1, width);
            return;
        }
        RunBlocks(in g, i0, i1, j0, j1);
        if (!g.Gelu) return;
        if (j0 == 0 && j1 == g.N && g.Ldc == g.N) Kernels.Gelu.ForwardInPlace(g.C + i0 * g.Ldc, (i1 - i0) * g.N);
        else for (int i = i0; i < i1; i++) Kernels.Gelu.ForwardInPlace(g.C + i * g.Ldc + j0, j1 - j0);
    }

    /// <summary><see cref="Run"/> into an aligned scratch block of C (rows i0.., columns j0.., row stride
    /// <paramref name="width"/>), then C written once: the same loads, sums and stores, in another place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPrivateC(in GemmArgs g, int i0, int i1, int j0, int j1, int width)
    {
        float* block = PackBuffers.ForThisThread.C((nint)(i1 - i0) * width);
        int cols = j1 - j0;
        if (g.Accumulate)
        {
            for (int i = i0; i < i1; i++)
                new ReadOnlySpan<float>(g.C + i * g.Ldc + j0, cols).CopyTo(new Span<float>(block + (nint)(i - i0) * width, cols));
        }
        var h = g;
        h.C = block - (nint)i0 * width - j0;   // so that row i, column j lands at block[(i − i0)·width + j − j0]
        h.Ldc = width;
        RunBlocks(in h, i0, i1, j0, j1);
        if (g.Gelu) Kernels.Gelu.ForwardInPlace(block, (i1 - i0) * width);   // the padding columns too: never copied out
        for (int i = i0; i < i1; i++)
            new ReadOnlySpan<float>(block + (nint)(i - i0) * width, cols).CopyTo(new Span<float>(g.C + i * g.Ldc + j0, cols));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlocks(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        int nr = NR;
        var buffers = PackBuffers.ForThisThread;
        int kcMax = Math.Min(g.Kc, g.K);
        int ncMax = Math.Min(g.Nc, j1 - j0);
        int mcMax = Math.Min(g.Mc, i1 - i0);
        float* bPack = buffers.B((nint)kcMax * RoundUp(ncMax, nr));
        float* aPack = g.PackA ? buffers.A((nint)kcMax * RoundUp(mcMax, MR)) : null;
        float* edgeA = buffers.Edge((nint)kcMax * MR);

        for (int jc = j0; jc < j1; jc += ncMax)
        {
            int nb = Math.Min(ncMax, j1 - jc);
            for (int pc = 0; pc < g.K; pc += kcMax)
            {
                int kb = Math.Min(kcMax, g.K - pc);
                bool load = g.Accumulate || pc > 0;
                bool last = pc + kb == g.K;
                // DirectB: full panels are read in place; a block with an edge panel is packed whole (padded).
                if (g.PackedB == null && (!g.DirectB || nb % nr != 0)) PackB(in g, pc, kb, jc, nb, bPack);
                // A kernel gradient read from the images: where each pixel of this k block starts, found once for all tiles.
                nint* corners = null;
                if (g.Patches.Images != null && g.TransA)
                {
                    corners = buffers.Corners(kcMax);
                    g.Patches.Corners(g.PatchFirstRow + pc, kb, corners);
                }
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mb = Math.Min(mcMax, i1 - ic);
                    if (g.PackA) PackA(in g, ic, mb, pc, kb, aPack);
                    else if (mb % MR != 0 && g.Patches.Images == null) PackAPanel(in g, ic + mb / MR * MR, mb % MR, pc, kb, edgeA);
                    for (int jr = 0; jr < nb; jr += nr)
                    {
                        int ncur = Math.Min(nr, nb - jr);
                        float* bPanel = bPack + (nint)jr * kb;   // panel jr/NR starts at (jr/NR)·kb·NR
                        nint bStride = nr;
                        if (g.PackedB != null) bPanel = g.PackedB + (nint)((jc + jr) / nr) * g.K * nr + (nint)pc * nr;
                        else if (g.DirectB && ncur == nr) { bPanel = g.B + pc * g.Ldb + jc + jr; bStride = g.Ldb; }
                        float* bias = last && g.Bias != null ? g.Bias + jc + jr : null;
                        bool relu = last && g.Relu;
                        if (g.RowTile > 0)
                        {
                            // Each output row in tiles of at most 8 pixels, as even as they come (15: 8 + 7).
                            int width = g.RowTile, tiles = (width + 7) / 8;
                            for (int ir = 0; ir < mb; ir += width)
                                for (int t = 0; t < tiles; t++)
                                {
                                    int lo = width * t / tiles, hi = width * (t + 1) / tiles, i = ic + ir + lo;
                                    RowTile(in g, buffers, i, hi - lo, ncur, pc, kb, bPanel, bStride, g.C + i * g.Ldc + jc + jr, load, bias, relu);
                                }
                            continue;
                        }
                        for (int ir = 0; ir < mb; ir += MR)
                        {
                            int mcur = Math.Min(MR, mb - ir);
                            int i = ic + ir;
                            float* c0 = g.C + i * g.Ldc + jc + jr;
                            if (g.Patches.Images != null)
                            {
                                if (g.TransA) PatchTileTransposed(in g, buffers, i, mcur, ncur, corners, kb, bPanel, bStride, c0, load, bias, relu);
                                else PatchTile(in g, buffers, i, mcur, ncur, pc, kb, bPanel, bStride, c0, load, bias, relu);
                                continue;
                            }
                            float* a;
                            nint rowStride, depthStride;
                            if (g.PackA) { a = aPack + (nint)ir * kb; rowStride = 1; depthStride = MR; }
                            else if (mcur < MR) { a = edgeA; rowStride = 1; depthStride = MR; }
                            else if (g.TransA) { a = g.A + pc * g.Lda + i; rowStride = 1; depthStride = g.Lda; }
                            else { a = g.A + i * g.Lda + pc; rowStride = g.Lda; depthStride = 1; }
                            float* c = c0;
                            if (mcur == MR && ncur == nr)
                                MicroKernel(kb, a, rowStride, depthStride, bPanel, bStride, c, g.Ldc, load, bias, relu);
                            else
                                EdgeTile(buffers, mcur, ncur, kb, a, rowStride, depthStride, bPanel, bStride, c, g.Ldc, load, bias, relu);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[1×N] for a one-row op(A), B not transposed and N a whole number of vectors: B is read in place, row by row.
    /// The arithmetic is the micro-kernel's, element for element (per k block an FMA chain from zero over p, then
    /// + C, + bias, ReLU), so a row computed here is bit-identical to the same row computed inside a larger M.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRow(in GemmArgs g)
    {
        int w = TOps.Count, wide = 4 * w;
        nint aStride = g.TransA ? g.Lda : 1;
        for (int pc = 0; pc < g.K; pc += g.Kc)
        {
            int kb = Math.Min(g.Kc, g.K - pc);
            bool load = g.Accumulate || pc > 0, last = pc + kb == g.K;
            float* a = g.A + pc * aStride;
            float* bias = last ? g.Bias : null;
            bool relu = last && g.Relu;
            int j = 0;
            for (; j + wide <= g.N; j += wide)
            {
                TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
                float* b = g.B + pc * g.Ldb + j;
                for (int p = 0; p < kb; p++, b += g.Ldb)
                {
                    TVec x = TOps.Broadcast(a[p * aStride]);
                    c0 = TOps.MultiplyAdd(x, TOps.Load(b), c0);
                    c1 = TOps.MultiplyAdd(x, TOps.Load(b + w), c1);
                    c2 = TOps.MultiplyAdd(x, TOps.Load(b + 2 * w), c2);
                    c3 = TOps.MultiplyAdd(x, TOps.Load(b + 3 * w), c3);
                }
                float* c = g.C + j;
                StoreRow(c, c0, c1, load, bias == null ? null : bias + j, relu);
                StoreRow(c + 2 * w, c2, c3, load, bias == null ? null : bias + j + 2 * w, relu);
            }
            for (; j < g.N; j += w)
            {
                TVec c0 = TOps.Zero;
                float* b = g.B + pc * g.Ldb + j;
                for (int p = 0; p < kb; p++, b += g.Ldb) c0 = TOps.MultiplyAdd(TOps.Broadcast(a[p * aStride]), TOps.Load(b), c0);
                StoreVector(g.C + j, c0, load, bias == null ? null : bias + j, relu);
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
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        float* a0 = a, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, a4 = a3 + rowStride, a5 = a4 + rowStride;
        int w = TOps.Count;
        nint off = 0;
        for (int p = 0; p < kc; p++)
        {
            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec x = TOps.Broadcast(a0[off]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a1[off]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a2[off]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a3[off]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(a4[off]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(a5[off]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            b += bStride;
            off += depthStride;
        }
        StoreRow(c, c00, c01, load, bias, relu);
        StoreRow(c + ldc, c10, c11, load, bias, relu);
        StoreRow(c + 2 * ldc, c20, c21, load, bias, relu);
        StoreRow(c + 3 * ldc, c30, c31, load, bias, relu);
        StoreRow(c + 4 * ldc, c40, c41, load, bias, relu);
        StoreRow(c + 5 * ldc, c50, c51, load, bias, relu);
    }

    /// <summary>
    /// One register tile whose A rows are patches read in place (<see cref="PatchSource"/>): the rows past the edge
    /// of C repeat the first row, and a tile cut by an edge of C runs on a scratch tile, as <see cref="EdgeTile"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PatchTile(in GemmArgs g, PackBuffers buffers, int i, int mcur, int ncur, int pc, int kb,
                                  float* b, nint bStride, float* c, bool load, float* bias, bool relu)
    {
        ref readonly var src = ref g.Patches;
        float* a0 = src.Row(i);
        float* a1 = mcur > 1 ? src.Row(i + 1) : a0, a2 = mcur > 2 ? src.Row(i + 2) : a0;
        float* a3 = mcur > 3 ? src.Row(i + 3) : a0, a4 = mcur > 4 ? src.Row(i + 4) : a0, a5 = mcur > 5 ? src.Row(i + 5) : a0;
        if (mcur == MR && ncur == NR)
        {
            PatchKernel(kb, pc, a0, a1, a2, a3, a4, a5, src.Segment, src.RowFloats, b, bStride, c, g.Ldc, load, bias, relu);
            return;
        }
        int nr = NR;
        float* tile = buffers.Tile((MR + 1) * nr);
        float* tileBias = tile + MR * nr;
        if (load)
        {
            for (int r = 0; r < mcur; r++)
                new ReadOnlySpan<float>(c + r * g.Ldc, ncur).CopyTo(new Span<float>(tile + r * nr, ncur));
        }
        if (bias != null)
        {
            new Span<float>(tileBias, nr).Clear();
            new ReadOnlySpan<float>(bias, ncur).CopyTo(new Span<float>(tileBias, ncur));
        }
        PatchKernel(kb, pc, a0, a1, a2, a3, a4, a5, src.Segment, src.RowFloats, b, bStride, tile, nr, load, bias != null ? tileBias : null, relu);
        for (int r = 0; r < mcur; r++)
            new ReadOnlySpan<float>(tile + r * nr, ncur).CopyTo(new Span<float>(c + r * g.Ldc, ncur));
    }

    /// <summary>
    /// <paramref name="rows"/> pixels (3–8) of one output row as one register tile, for depths [pc, pc + kb). When
    /// every kernel row those depths cover reads only the zero border for this output row, the products would all be
    /// zero and the tile is skipped: the chain from +0 over zero products stays +0, so the stored value is what the
    /// micro-kernel would store (a finite kernel assumed: Inf·0 would have made NaN). Otherwise the same FMA chain per
    /// output as <see cref="PatchKernel"/>, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile(in GemmArgs g, PackBuffers buffers, int i, int rows, int ncur, int pc, int kb,
                                float* b, nint bStride, float* c, bool load, float* bias, bool relu)
    {
        ref readonly var src = ref g.Patches;
        int oh = i % src.OutPixels / src.OutWidth;
        int skipped = src.PaddedKernelRows(oh);
        int kh0 = pc / src.Segment, kh1 = (pc + kb - 1) / src.Segment;
        int covered = ((1 << (kh1 - kh0 + 1)) - 1) << kh0;
        if ((skipped & covered) == covered)
        {
            SkipTile(c, g.Ldc, rows, ncur, load, bias, relu);
            return;
        }
        int nr = NR;
        bool edge = ncur < nr;
        float* tile = c;
        nint ldt = g.Ldc;
        float* tileBias = bias;
        if (edge)
        {
            // A tile cut by the edge of C runs on a scratch tile, as PatchTile does.
            tile = buffers.Tile((8 + 1) * nr);
            ldt = nr;
            if (load)
                for (int r = 0; r < rows; r++)
                    new ReadOnlySpan<float>(c + r * g.Ldc, ncur).CopyTo(new Span<float>(tile + r * nr, ncur));
            if (bias != null)
            {
                tileBias = tile + 8 * nr;
                new Span<float>(tileBias, nr).Clear();
                new ReadOnlySpan<float>(bias, ncur).CopyTo(new Span<float>(tileBias, ncur));
            }
        }
        float* a0 = src.Row(i);
        nint step = (nint)src.StrideWidth * src.Channels;
        switch (rows)
        {
            case 3: RowKernel<Rows3>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
            case 4: RowKernel<Rows4>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
            case 5: RowKernel<Rows5>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
            case 6: RowKernel<Rows6>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
            case 7: RowKernel<Rows7>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
            default: RowKernel<Rows8>(kb, pc, a0, step, src.Segment, src.RowFloats, b, bStride, tile, ldt, load, tileBias, relu); break;
        }
        if (edge)
            for (int r = 0; r < rows; r++)
                new ReadOnlySpan<float>(tile + r * nr, ncur).CopyTo(new Span<float>(c + r * g.Ldc, ncur));
    }

    /// <summary>What the micro-kernel stores for a chain of zero products: +0, plus C when loading, then bias and ReLU.</summary>
    private static void SkipTile(float* c, nint ldc, int rows, int ncur, bool load, float* bias, bool relu)
    {
        if (load && bias == null && !relu) return;   // C + (+0) is C: a chain is never −0, so neither is C
        for (int r = 0; r < rows; r++, c += ldc)
            for (int j = 0; j < ncur; j++)
            {
                float v = 0f;
                if (load) v += c[j];
                if (bias != null) v += bias[j];
                if (relu) v = v < 0f ? 0f : v;
                c[j] = v;
            }
    }

    /// <summary>
    /// <see cref="PatchKernel"/> for <typeparamref name="TRows"/> consecutive pixels of one output row, each
    /// <paramref name="step"/> floats after the last: up to 8 rows × 2 vectors = 16 accumulators, which the 32
    /// AVX-512 registers hold (row tiles are used on that path only).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowKernel<TRows>(int kc, int pc, float* a0, nint step, int segment, nint rowFloats, float* b, nint bStride,
                                         float* c, nint ldc, bool load, float* bias, bool relu)
        where TRows : struct, IRowCount
    {
        int n = TRows.Count;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        float* a1 = a0 + step, a2 = a1 + step, a3 = a2 + step, a4 = a3 + step, a5 = a4 + step, a6 = a5 + step, a7 = a6 + step;
        int w = TOps.Count;
        int s = pc / segment, j = pc - s * segment, left = kc;
        while (left > 0)
        {
            int run = Math.Min(segment - j, left);
            nint off = s * rowFloats + j;
            for (int q = 0; q < run; q++, off++)
            {
                TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
                TVec x = TOps.Broadcast(a0[off]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a1[off]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                x = TOps.Broadcast(a2[off]);
                c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                if (TRows.Count > 3)
                {
                    x = TOps.Broadcast(a3[off]);
                    c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                }
                if (TRows.Count > 4)
                {
                    x = TOps.Broadcast(a4[off]);
                    c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
                }
                if (TRows.Count > 5)
                {
                    x = TOps.Broadcast(a5[off]);
                    c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
                }
                if (TRows.Count > 6)
                {
                    x = TOps.Broadcast(a6[off]);
                    c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61);
                }
                if (TRows.Count > 7)
                {
                    x = TOps.Broadcast(a7[off]);
                    c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71);
                }
                b += bStride;
            }
            left -= run;
            s++;
            j = 0;
        }
        StoreRow(c, c00, c01, load, bias, relu);
        StoreRow(c + ldc, c10, c11, load, bias, relu);
        StoreRow(c + 2 * ldc, c20, c21, load, bias, relu);
        if (n > 3) StoreRow(c + 3 * ldc, c30, c31, load, bias, relu);
        if (n > 4) StoreRow(c + 4 * ldc, c40, c41, load, bias, relu);
        if (n > 5) StoreRow(c + 5 * ldc, c50, c51, load, bias, relu);
        if (n > 6) StoreRow(c + 6 * ldc, c60, c61, load, bias, relu);
        if (n > 7) StoreRow(c + 7 * ldc, c70, c71, load, bias, relu);
    }

    /// <summary>
    /// <see cref="MicroKernel"/> over depths [pc, pc + kc) of six patch rows: the depth walks each kernel row's
    /// contiguous run (<paramref name="segment"/> floats) and jumps <paramref name="rowFloats"/> to the next. One FMA
    /// chain per output over the depths in order, as the micro-kernel runs on the unfolded matrix, so the result
    /// is the same to the bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void PatchKernel(int kc, int pc, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5,
                                    int segment, nint rowFloats, float* b, nint bStride,
                                    float* c, nint ldc, bool load, float* bias, bool relu)
    {
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        int w = TOps.Count;
        int s = pc / segment, j = pc - s * segment, left = kc;
        while (left > 0)
        {
            int run = Math.Min(segment - j, left);
            nint off = s * rowFloats + j;
            for (int q = 0; q < run; q++, off++)
            {
                TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
                TVec x = TOps.Broadcast(a0[off]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a1[off]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                x = TOps.Broadcast(a2[off]);
                c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                x = TOps.Broadcast(a3[off]);
                c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                x = TOps.Broadcast(a4[off]);
                c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
                x = TOps.Broadcast(a5[off]);
                c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
                b += bStride;
            }
            left -= run;
            s++;
            j = 0;
        }
        StoreRow(c, c00, c01, load, bias, relu);
        StoreRow(c + ldc, c10, c11, load, bias, relu);
        StoreRow(c + 2 * ldc, c20, c21, load, bias, relu);
        StoreRow(c + 3 * ldc, c30, c31, load, bias, relu);
        StoreRow(c + 4 * ldc, c40, c41, load, bias, relu);
        StoreRow(c + 5 * ldc, c50, c51, load, bias, relu);
    }

    /// <summary>
    /// One register tile of the transposed patch matrix (a kernel gradient): rows are six kernel taps, at fixed
    /// offsets from each pixel's corner; the depth walks the pixels. Edges as <see cref="PatchTile"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PatchTileTransposed(in GemmArgs g, PackBuffers buffers, int r, int mcur, int ncur, nint* corners, int kb,
                                            float* b, nint bStride, float* c, bool load, float* bias, bool relu)
    {
        ref readonly var src = ref g.Patches;
        nint o0 = src.TapOffset(r);
        nint o1 = mcur > 1 ? src.TapOffset(r + 1) : o0, o2 = mcur > 2 ? src.TapOffset(r + 2) : o0;
        nint o3 = mcur > 3 ? src.TapOffset(r + 3) : o0, o4 = mcur > 4 ? src.TapOffset(r + 4) : o0, o5 = mcur > 5 ? src.TapOffset(r + 5) : o0;
        if (mcur == MR && ncur == NR)
        {
            PatchKernelTransposed(kb, src.Images, corners, o0, o1, o2, o3, o4, o5, b, bStride, c, g.Ldc, load, bias, relu);
            return;
        }
        int nr = NR;
        float* tile = buffers.Tile((MR + 1) * nr);
        float* tileBias = tile + MR * nr;
        if (load)
        {
            for (int q = 0; q < mcur; q++)
                new ReadOnlySpan<float>(c + q * g.Ldc, ncur).CopyTo(new Span<float>(tile + q * nr, ncur));
        }
        if (bias != null)
        {
            new Span<float>(tileBias, nr).Clear();
            new ReadOnlySpan<float>(bias, ncur).CopyTo(new Span<float>(tileBias, ncur));
        }
        PatchKernelTransposed(kb, src.Images, corners, o0, o1, o2, o3, o4, o5, b, bStride, tile, nr, load, bias != null ? tileBias : null, relu);
        for (int q = 0; q < mcur; q++)
            new ReadOnlySpan<float>(tile + q * nr, ncur).CopyTo(new Span<float>(c + q * g.Ldc, ncur));
    }

    /// <summary>
    /// <see cref="MicroKernel"/> for six kernel taps over kc pixels: step p reads the six taps at their offsets from
    /// pixel p's corner (<paramref name="corners"/>, relative to <paramref name="images"/>). The FMA chain is the one
    /// the unfolded, transposed matrix gets.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void PatchKernelTransposed(int kc, float* images, nint* corners, nint o0, nint o1, nint o2, nint o3, nint o4, nint o5,
                                              float* b, nint bStride, float* c, nint ldc, bool load, float* bias, bool relu)
    {
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        int w = TOps.Count;
        for (int p = 0; p < kc; p++)
        {
            float* a = images + corners[p];
            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec x = TOps.Broadcast(a[o0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a[o1]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a[o2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a[o3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(a[o4]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(a[o5]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            b += bStride;
        }
        StoreRow(c, c00, c01, load, bias, relu);
        StoreRow(c + ldc, c10, c11, load, bias, relu);
        StoreRow(c + 2 * ldc, c20, c21, load, bias, relu);
        StoreRow(c + 3 * ldc, c30, c31, load, bias, relu);
        StoreRow(c + 4 * ldc, c40, c41, load, bias, relu);
        StoreRow(c + 5 * ldc, c50, c51, load, bias, relu);
    }

    /// <summary>Epilogue of one tile row: add what C held (earlier k blocks or the caller's C), then bias, then ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, TVec v0, TVec v1, bool load, float* bias, bool relu)
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

    /// <summary>A tile cut by the edge of C: run the full kernel on a padded scratch tile (A and B panels are
    /// zero-padded already), then copy back the part that exists. Same arithmetic as a full tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(PackBuffers buffers, int mcur, int ncur, int kc, float* a, nint rowStride, nint depthStride,
                                 float* b, nint bStride, float* c, nint ldc, bool load, float* bias, bool relu)
    {
        int nr = NR;
        float* tile = buffers.Tile((MR + 1) * nr);
        float* tileBias = tile + MR * nr;
        if (load)
        {
            for (int r = 0; r < mcur; r++)
                new ReadOnlySpan<float>(c + r * ldc, ncur).CopyTo(new Span<float>(tile + r * nr, ncur));
        }
        if (bias != null)
        {
            new Span<float>(tileBias, nr).Clear();
            new ReadOnlySpan<float>(bias, ncur).CopyTo(new Span<float>(tileBias, ncur));
        }
        MicroKernel(kc, a, rowStride, depthStride, b, bStride, tile, nr, load, bias != null ? tileBias : null, relu);
        for (int r = 0; r < mcur; r++)
            new ReadOnlySpan<float>(tile + r * nr, ncur).CopyTo(new Span<float>(c + r * ldc, ncur));
    }

    /// <summary>Packs op(B)[pc.., jc..] (kb × nb) as NR-column panels, each kb rows of NR floats, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(in GemmArgs g, int pc, int kb, int jc, int nb, float* dst)
    {
        int nr = NR, w = TOps.Count;
        for (int q = 0; q < nb; q += nr, dst += (nint)kb * nr)
        {
            int cols = Math.Min(nr, nb - q);
            if (!g.TransB)
            {
                float* src = g.B + pc * g.Ldb + jc + q;
                for (int p = 0; p < kb; p++, src += g.Ldb)
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
            else
            {
                if (cols < nr) new Span<float>(dst, kb * nr).Clear();
                float* src = g.B + (jc + q) * g.Ldb + pc;   // row j of the stored B is column j of op(B)
                int j = 0;
                if (Avx.IsSupported && nr % 8 == 0)
                {
                    // 8×8 blocks; for transB with small m (dense dX) a scalar transpose cost a third of the call.
                    for (; j + 8 <= cols; j += 8)
                    {
                        int p = 0;
                        for (; p + 8 <= kb; p += 8)
                            Transpose.Block8x8(src + j * g.Ldb + p, g.Ldb, dst + p * nr + j, nr);
                        for (int jj = j; jj < j + 8; jj++)
                            for (int pp = p; pp < kb; pp++) dst[pp * nr + jj] = src[jj * g.Ldb + pp];
                    }
                }
                for (; j < cols; j++)
                {
                    float* s = src + j * g.Ldb;
                    float* d = dst + j;
                    for (int p = 0; p < kb; p++) d[p * nr] = s[p];
                }
            }
        }
    }

    /// <summary>Packs a non-transposed B (k × n, row stride ldb) as NR-column panels over the whole depth: panel q at
    /// dst + q·k·NR, row p of it at + p·NR, zero-padded past n (<see cref="GemmArgs.PackedB"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanels(float* b, int k, int n, nint ldb, float* dst)
    {
        var g = new GemmArgs { B = b, Ldb = ldb, K = k, N = n };
        PackB(in g, 0, k, 0, n, dst);
    }

    /// <summary>Packs op(A)[ic.., pc..] (mb × kb) as MR-row panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(in GemmArgs g, int ic, int mb, int pc, int kb, float* dst)
    {
        for (int t = 0; t < mb; t += MR, dst += (nint)kb * MR)
            PackAPanel(in g, ic + t, Math.Min(MR, mb - t), pc, kb, dst);
    }

    /// <summary>One MR-row panel of op(A): dst[p·MR + r] = op(A)[i + r, pc + p], rows past <paramref name="rows"/> zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAPanel(in GemmArgs g, int i, int rows, int pc, int kb, float* dst)
    {
        if (rows < MR) new Span<float>(dst, kb * MR).Clear();
        if (!g.TransA)
        {
            for (int r = 0; r < rows; r++)
            {
                float* src = g.A + (i + r) * g.Lda + pc;
                float* d = dst + r;
                for (int p = 0; p < kb; p++) d[p * MR] = src[p];
            }
        }
        else
        {
            float* src = g.A + pc * g.Lda + i;
            for (int p = 0; p < kb; p++, src += g.Lda)
                for (int r = 0; r < rows; r++) dst[p * MR + r] = src[r];
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

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
