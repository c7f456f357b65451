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
    /// <summary>The environment variable that narrows the path (avx2, vector128 or scalar; never wider than the
    /// CPU allows), read once, before the first kernel runs: what a machine's tuning chose, or a test's choice.</summary>
    public const string Variable = "FOVEA_SIMD";

    // Vector512.IsHardwareAccelerated is false where the runtime judges 512-bit code slower (or DOTNET_EnableAVX512=0);
    // the 256-bit path needs FMA, which DOTNET_EnableAVX2=0 also turns off.
    /// <summary>The widest path this CPU and runtime run.</summary>
    public static readonly VectorPath Widest =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? VectorPath.Avx512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? VectorPath.Avx2
        : Vector128.IsHardwareAccelerated ? VectorPath.Vector128
        : VectorPath.Scalar;

    /// <summary>The path every kernel of this process runs at: <see cref="Widest"/>, narrowed by <see cref="Variable"/>.</summary>
    public static readonly VectorPath Active = Narrowed(Widest, Environment.GetEnvironmentVariable(Variable));

    /// <summary>The narrower of <paramref name="widest"/> and the path <paramref name="requested"/> names (by
    /// <see cref="Name"/>); unknown or empty names leave <paramref name="widest"/>.</summary>
    internal static VectorPath Narrowed(VectorPath widest, string? requested) => Parse(requested) is { } path && path > widest ? path : widest;

    /// <summary>The path a name ("avx512", "avx2", "vector128", "scalar") stands for, or null.</summary>
    internal static VectorPath? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "avx512" => VectorPath.Avx512,
        "avx2" => VectorPath.Avx2,
        "vector128" => VectorPath.Vector128,
        "scalar" => VectorPath.Scalar,
        _ => null,
    };

    /// <summary>The name of <paramref name="path"/>, as <see cref="Name"/> gives the active one.</summary>
    internal static string NameOf(VectorPath path) => path switch
    {
        VectorPath.Avx512 => "avx512",
        VectorPath.Avx2 => "avx2",
        VectorPath.Vector128 => "vector128",
        _ => "scalar",
    };

    /// <summary>"avx512", "avx2", "vector128" or "scalar".</summary>
    public static string Name => NameOf(Active);

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
