using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

/// <summary>
/// The few vector operations a GEMM micro-kernel needs, as static members so that a kernel written once
/// (generic over <c>TOps</c>) is specialised by the JIT for each width with no virtual calls.
/// <see cref="ISimdVector{TSelf,T}"/> would do this but is not public in .NET 10.
/// </summary>
internal unsafe interface IFloatVector<TVec> where TVec : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }
    static abstract TVec Zero { get; }
    static abstract TVec Load(float* p);
    static abstract void Store(float* p, TVec v);
    static abstract TVec Broadcast(float x);
    /// <summary>a·b + c, fused wherever the hardware allows.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
    static abstract TVec Add(TVec a, TVec b);
    /// <summary><c>x &lt; 0 ? 0 : x</c>: NaN passes through, so a diverging network still shows up as non-finite.
    /// MAXPS(0, x) returns its second operand unless 0 &gt; x, which is exactly that.</summary>
    static abstract TVec Relu(TVec x);
}

internal readonly unsafe struct Avx512Ops : IFloatVector<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Avx512F.LoadVector512(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => Avx512F.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Relu(Vector512<float> x) => Avx512F.Max(Vector512<float>.Zero, x);
}

internal readonly unsafe struct Avx2Ops : IFloatVector<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => Avx.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Relu(Vector256<float> x) => Avx.Max(Vector256<float>.Zero, x);
}

/// <summary>Portable 128-bit path (SSE without FMA on x86, AdvSimd on Arm).</summary>
internal readonly unsafe struct Vector128Ops : IFloatVector<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    // Estimate = fused where the CPU has FMA, a separate multiply and add where it has not (never a slow software FMA).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Relu(Vector128<float> x) => Vector128.MaxNative(Vector128<float>.Zero, x);
}

/// <summary>One float as a one-lane "vector": the same driver then serves CPUs without SIMD.</summary>
internal readonly unsafe struct ScalarOps : IFloatVector<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    // Not MathF.FusedMultiplyAdd: without hardware FMA that is a slow software emulation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Relu(float x) => x < 0f ? 0f : x;
}
