using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

/// <summary>The vector width every kernel of this process runs at, widest first.</summary>
internal enum VectorPath { Avx512, Avx2, Vector128, Scalar }

/// <summary>A kernel call written once over <see cref="IVectorOps{TVec}"/>, for <see cref="CpuPath.Run"/> to
/// specialise at the width this CPU runs.</summary>
internal interface IVectorWork
{
    void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged;
}

/// <summary>The one choice of CPU path, made once per process, for the GEMM and the element-wise kernels alike.</summary>
internal static class CpuPath
{
    // Vector512.IsHardwareAccelerated is false where the runtime judges 512-bit code slower (or DOTNET_EnableAVX512=0);
    // the 256-bit path needs FMA, which DOTNET_EnableAVX2=0 also turns off.
    public static readonly VectorPath Active =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? VectorPath.Avx512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? VectorPath.Avx2
        : Vector128.IsHardwareAccelerated ? VectorPath.Vector128
        : VectorPath.Scalar;

    /// <summary>"avx512", "avx2", "vector128" or "scalar".</summary>
    public static string Name => Active switch
    {
        VectorPath.Avx512 => "avx512",
        VectorPath.Avx2 => "avx2",
        VectorPath.Vector128 => "vector128",
        _ => "scalar",
    };

    /// <summary>Floats per vector on this path.</summary>
    public static int VectorWidth => Active switch
    {
        VectorPath.Avx512 => 16,
        VectorPath.Avx2 => 8,
        VectorPath.Vector128 => 4,
        _ => 1,
    };

    /// <summary>Runs <paramref name="work"/> at this CPU's width: a struct, so each width is a direct call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TWork>(ref TWork work) where TWork : struct, IVectorWork, allows ref struct
    {
        switch (Active)
        {
            case VectorPath.Avx512: work.Run<Vector512Ops, Vector512<float>>(); break;
            case VectorPath.Avx2: work.Run<Vector256Ops, Vector256<float>>(); break;
            case VectorPath.Vector128: work.Run<Vector128Ops, Vector128<float>>(); break;
            default: work.Run<ScalarOps, float>(); break;
        }
    }
}
