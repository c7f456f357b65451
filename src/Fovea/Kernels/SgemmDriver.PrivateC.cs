using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

internal static unsafe partial class SgemmDriver<TOps, TVec>
{
    /// <summary><see cref="Run"/> into an aligned scratch block of C (rows i0.., columns j0.., row stride
    /// <paramref name="width"/>), then C written once: the same loads, sums and stores, in another place. A part
    /// with several k blocks writes its block of C after each one, and where two threads' parts meet inside a cache
    /// line of an unaligned C, that line went back and forth between the cores (<see cref="KernelOptions.PrivateCMaxFloats"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPrivateC(in GemmArgs g, int i0, int i1, int j0, int j1, int width)
    {
        ref readonly var op = ref g.Operands;
        float* block = PackBuffers.ForThisThread.C((nint)(i1 - i0) * width);
        int cols = j1 - j0;
        if (g.Epilogue.Accumulate)
        {
            for (int i = i0; i < i1; i++)
                new ReadOnlySpan<float>(op.C + i * op.Ldc + j0, cols).CopyTo(new Span<float>(block + (nint)(i - i0) * width, cols));
        }
        var h = g;
        h.Operands.C = block - (nint)i0 * width - j0;   // so that row i, column j lands at block[(i − i0)·width + j − j0]
        h.Operands.Ldc = width;
        RunBlocks(in h, i0, i1, j0, j1);
        if (g.Epilogue.Gelu) Gelu.ForwardInPlace(block, (i1 - i0) * width);   // the padding columns too: never copied out
        for (int i = i0; i < i1; i++)
            new ReadOnlySpan<float>(block + (nint)(i - i0) * width, cols).CopyTo(new Span<float>(op.C + i * op.Ldc + j0, cols));
    }
}
