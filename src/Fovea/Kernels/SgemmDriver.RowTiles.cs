using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>Row tiles (<see cref="GemmBlocking.RowTile"/>): a forward pass over patches of a narrow output map in
/// tiles of at most 8 pixels of one output row.</summary>
internal static unsafe partial class SgemmDriver<TOps, TVec>
{
    /// <summary>Rows [ic, ic + mb) (whole output rows) of one panel: each output row in tiles of at most 8 pixels,
    /// as even as they come (15: 8 + 7). With the kernel read in stored order (<see cref="KBlock.Streaming"/>) and
    /// four tiles or more, each tile's loop prefetches its share of the chunk stored next, a line every few steps:
    /// without it the first tile of every chunk waited for the chunk to come from memory (ResNet-18's 7×7×512
    /// layers at batch 1: 9.4 MB of kernel for 49 pixels). Prefetches in one burst per tile measured no better than
    /// none: the miss queues drop most of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTiles(in GemmArgs g, PackBuffers buffers, in KBlock block, int ic, int mb, int j, int ncur,
                                 float* b, nint bStride, in TileEpilogue tile)
    {
        int width = g.Blocking.RowTile, tiles = (width + 7) / 8;
        int count = (mb + width - 1) / width * tiles, done = 0;
        byte* next = block.Streaming && g.Blocking.PrefetchNext && count >= 4 ? (byte*)(b + (nint)block.Kb * NR) : null;
        nint pfStep = (NR * sizeof(float) + count - 1) / count;
        for (int ir = 0; ir < mb; ir += width)
            for (int t = 0; t < tiles; t++, done++)
            {
                int lo = width * t / tiles, hi = width * (t + 1) / tiles, i = ic + ir + lo;
                byte* pf = next == null ? null : next + (nint)done * block.Kb * pfStep;
                RowTile(in g, buffers, i, hi - lo, ncur, block.Pc, block.Kb, b, bStride, g.Operands.C + i * g.Operands.Ldc + j, in tile, pf, pfStep);
            }
    }

    /// <summary>
    /// <paramref name="rows"/> pixels (3–8) of one output row as one register tile, for depths [pc, pc + kb). When
    /// every kernel row those depths cover reads only the zero border for this output row, the products would all be
    /// zero and the tile is skipped: the chain from +0 over zero products stays +0, so the stored value is what the
    /// micro-kernel would store (a finite kernel assumed: Inf·0 would have made NaN). Otherwise the same FMA chain per
    /// output as <see cref="PatchTile"/>, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile(in GemmArgs g, PackBuffers buffers, int i, int rows, int ncur, int pc, int kb,
                                float* b, nint bStride, float* c, in TileEpilogue tile, byte* pf = null, nint pfStep = 0)
    {
        ref readonly var src = ref g.Patches;
        nint ldc = g.Operands.Ldc;
        int oh = i % src.OutPixels / src.OutWidth;
        int skipped = src.PaddedKernelRows(oh);
        int kh0 = pc / src.Segment, kh1 = (pc + kb - 1) / src.Segment;
        int covered = ((1 << (kh1 - kh0 + 1)) - 1) << kh0;
        if ((skipped & covered) == covered)
        {
            SkipTile(c, ldc, rows, ncur, in tile);
            return;
        }
        if (ncur == NR)
        {
            RowKernel(rows, kb, pc, src.Row(i), in src, b, bStride, c, ldc, tile.Load, tile.Bias, tile.Relu, pf, pfStep);
            return;
        }
        var scratch = ScratchTile.Begin(buffers, 8, rows, ncur, NR, c, ldc, in tile);
        RowKernel(rows, kb, pc, src.Row(i), in src, b, bStride, scratch.C, NR, tile.Load, scratch.Bias, tile.Relu);
        scratch.End(c, ldc);
    }

    /// <summary><see cref="SegmentKernel{TRows}"/> for <paramref name="rows"/> consecutive pixels of one output row,
    /// each a stride's worth of floats after the last: up to 8 rows × 2 vectors = 16 accumulators, which the 32
    /// AVX-512 registers hold (row tiles are used on that path only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowKernel(int rows, int kb, int pc, float* a0, in PatchSource src, float* b, nint bStride,
                                  float* c, nint ldc, bool load, float* bias, bool relu, byte* pf = null, nint pfStep = 0)
    {
        nint step = (nint)src.StrideWidth * src.Channels;
        float* a1 = a0 + step, a2 = a1 + step, a3 = a2 + step, a4 = a3 + step, a5 = a4 + step, a6 = a5 + step, a7 = a6 + step;
        int segment = src.Segment;
        nint rowFloats = src.RowFloats;
        switch (rows)
        {
            case 3: SegmentKernel<Rows3>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
            case 4: SegmentKernel<Rows4>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
            case 5: SegmentKernel<Rows5>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
            case 6: SegmentKernel<Rows6>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
            case 7: SegmentKernel<Rows7>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
            default: SegmentKernel<Rows8>(kb, pc, a0, a1, a2, a3, a4, a5, a6, a7, segment, rowFloats, b, bStride, c, ldc, load, bias, relu, pf, pfStep); break;
        }
    }

    /// <summary>What the micro-kernel stores for a chain of zero products: +0, plus C when loading, then bias and ReLU.</summary>
    private static void SkipTile(float* c, nint ldc, int rows, int ncur, in TileEpilogue tile)
    {
        if (tile.Load && tile.Bias == null && !tile.Relu) return;   // C + (+0) is C: a chain is never −0, so neither is C
        for (int r = 0; r < rows; r++, c += ldc)
            for (int j = 0; j < ncur; j++)
            {
                float v = 0f;
                if (tile.Load) v += c[j];
                if (tile.Bias != null) v += tile.Bias[j];
                if (tile.Relu) v = v < 0f ? 0f : v;
                c[j] = v;
            }
    }
}
