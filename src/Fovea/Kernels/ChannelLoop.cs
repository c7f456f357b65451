using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// A per-channel kernel over a run of rows of a [rows, channels] block: it processes channels [c, end) in whole
/// vectors of <c>TOps.Count</c> for every row and returns the first channel it left (fewer than one vector remain).
/// </summary>
internal interface IChannelKernel
{
    int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged;
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
        switch (SimdPath.Active)
        {
            case SimdPath.Width.W512:
                c = kernel.Run<Simd512, Vector512<float>>(c, channels);
                goto case SimdPath.Width.W256;
            case SimdPath.Width.W256:
                c = kernel.Run<Simd256, Vector256<float>>(c, channels);
                goto case SimdPath.Width.W128;
            case SimdPath.Width.W128:
                c = kernel.Run<Simd128, Vector128<float>>(c, channels);
                goto default;
            default:
                kernel.Run<SimdScalar, float>(c, channels);
                break;
        }
    }
}
