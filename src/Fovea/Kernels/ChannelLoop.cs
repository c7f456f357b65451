using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// A per-channel kernel over a run of rows of a [rows, channels] block: it processes channels [c, end) in whole
/// vectors of <c>TOps.Count</c> for every row and returns the first channel it left (fewer than one vector remain).
/// </summary>
internal interface IChannelKernel
{
    int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged;
}

/// <summary>
/// Runs a channel kernel across all channels, widest vectors first, the tail through narrower ones
/// (24 channels on AVX-512: one 16-wide, one 8-wide vector), so no tail needs a loop of its own.
/// The kernel is a struct: each width is a constrained call the JIT specialises and inlines.
/// </summary>
internal static class ChannelLoop
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TKernel>(ref TKernel kernel, int channels) where TKernel : struct, IChannelKernel
    {
        int c = 0;
        switch (CpuPath.Active)
        {
            case VectorPath.Avx512:
                c = kernel.Run<Vector512Ops, Vector512<float>>(c, channels);
                goto case VectorPath.Avx2;
            case VectorPath.Avx2:
                c = kernel.Run<Vector256Ops, Vector256<float>>(c, channels);
                goto case VectorPath.Vector128;
            case VectorPath.Vector128:
                c = kernel.Run<Vector128Ops, Vector128<float>>(c, channels);
                goto default;
            default:
                kernel.Run<ScalarOps, float>(c, channels);
                break;
        }
    }
}
