using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

/// <summary>The implicit convolution's register tiles: op(A) is a patch matrix read in place from the images
/// (<see cref="PatchSource"/>), or its transpose for a kernel gradient.</summary>
internal static unsafe partial class SgemmDriver<TOps, TVec>
{
    /// <summary>
    /// One register tile whose A rows are patches read in place: the rows past the edge of C repeat the first row,
    /// and a tile cut by an edge of C runs on a scratch tile (<see cref="ScratchTile"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PatchTile(in GemmArgs g, PackBuffers buffers, int i, int mcur, int ncur, int pc, int kb,
                                  float* b, nint bStride, float* c, in TileEpilogue tile)
    {
        ref readonly var src = ref g.Patches;
        float* a0 = src.Row(i);
        float* a1 = mcur > 1 ? src.Row(i + 1) : a0, a2 = mcur > 2 ? src.Row(i + 2) : a0;
        float* a3 = mcur > 3 ? src.Row(i + 3) : a0, a4 = mcur > 4 ? src.Row(i + 4) : a0, a5 = mcur > 5 ? src.Row(i + 5) : a0;
        nint ldc = g.Operands.Ldc;
        if (mcur == MR && ncur == NR)
        {
            SegmentKernel<Rows6>(kb, pc, a0, a1, a2, a3, a4, a5, null, null, src.Segment, src.RowFloats, b, bStride,
                                 c, ldc, tile.Load, tile.Bias, tile.Relu);
            return;
        }
        var scratch = ScratchTile.Begin(buffers, MR, mcur, ncur, NR, c, ldc, in tile);
        SegmentKernel<Rows6>(kb, pc, a0, a1, a2, a3, a4, a5, null, null, src.Segment, src.RowFloats, b, bStride,
                             scratch.C, NR, tile.Load, scratch.Bias, tile.Relu);
        scratch.End(c, ldc);
    }

    /// <summary>
    /// The register tile over depths [pc, pc + kc) of <typeparamref name="TRows"/> patch rows (a0…): the depth walks
    /// each kernel row's contiguous run (<paramref name="segment"/> floats) and jumps <paramref name="rowFloats"/> to
    /// the next. One FMA chain per output over the depths in order, as the micro-kernel runs on the unfolded matrix,
    /// so the result is the same to the bit. <paramref name="pf"/>, unless null: a line to prefetch into L2 at every
    /// step, <paramref name="pfStep"/> bytes after the last. NoInlining, as the micro-kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SegmentKernel<TRows>(int kc, int pc, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5,
                                             float* a6, float* a7, int segment, nint rowFloats, float* b, nint bStride,
                                             float* c, nint ldc, bool load, float* bias, bool relu, byte* pf = null, nint pfStep = 0)
        where TRows : struct, IRowCount
    {
        var t = RegisterTile<TOps, TVec, TRows>.Zero;
        int s = pc / segment, j = pc - s * segment, left = kc;
        while (left > 0)
        {
            int run = Math.Min(segment - j, left);
            nint off = s * rowFloats + j;
            for (int q = 0; q < run; q++, off++, b += bStride)
            {
                if (pf != null)
                {
                    Sse.Prefetch1(pf);   // a no-op off x86
                    pf += pfStep;
                }
                t.MultiplyAdd(b, off, a0, a1, a2, a3, a4, a5, a6, a7);
            }
            left -= run;
            s++;
            j = 0;
        }
        t.Store(c, ldc, load, bias, relu);
    }

    /// <summary>
    /// One register tile of the transposed patch matrix (a kernel gradient): rows are six kernel taps, at fixed
    /// offsets from each pixel's corner; the depth walks the pixels. Edges as <see cref="PatchTile"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PatchTileTransposed(in GemmArgs g, PackBuffers buffers, int r, int mcur, int ncur, nint* corners, int kb,
                                            float* b, nint bStride, float* c, in TileEpilogue tile)
    {
        ref readonly var src = ref g.Patches;
        float* a0 = src.Images + src.TapOffset(r);
        float* a1 = mcur > 1 ? src.Images + src.TapOffset(r + 1) : a0, a2 = mcur > 2 ? src.Images + src.TapOffset(r + 2) : a0;
        float* a3 = mcur > 3 ? src.Images + src.TapOffset(r + 3) : a0, a4 = mcur > 4 ? src.Images + src.TapOffset(r + 4) : a0;
        float* a5 = mcur > 5 ? src.Images + src.TapOffset(r + 5) : a0;
        nint ldc = g.Operands.Ldc;
        if (mcur == MR && ncur == NR)
        {
            PixelKernel(kb, corners, a0, a1, a2, a3, a4, a5, b, bStride, c, ldc, tile.Load, tile.Bias, tile.Relu);
            return;
        }
        var scratch = ScratchTile.Begin(buffers, MR, mcur, ncur, NR, c, ldc, in tile);
        PixelKernel(kb, corners, a0, a1, a2, a3, a4, a5, b, bStride, scratch.C, NR, tile.Load, scratch.Bias, tile.Relu);
        scratch.End(c, ldc);
    }

    /// <summary>
    /// The register tile for six kernel taps over kc pixels: step p reads tap r at a_r + corners[p] (a_r: the images
    /// plus the tap's offset from a pixel's corner). The FMA chain is the one the unfolded, transposed matrix gets.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void PixelKernel(int kc, nint* corners, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5,
                                    float* b, nint bStride, float* c, nint ldc, bool load, float* bias, bool relu)
    {
        var t = RegisterTile<TOps, TVec, Rows6>.Zero;
        for (int p = 0; p < kc; p++, b += bStride)
            t.MultiplyAdd(b, corners[p], a0, a1, a2, a3, a4, a5);
        t.Store(c, ldc, load, bias, relu);
    }
}
