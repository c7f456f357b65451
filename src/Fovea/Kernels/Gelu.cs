using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// GELU with the exact erf form, PyTorch's default <c>nn.GELU()</c> (approximate='none'):
/// y = x·Φ(x) = ½x(1 + erf(x/√2)); dy/dx = Φ(x) + x·φ(x). Element-wise, so any layout works.
/// <see cref="GeluReference"/> is the double-precision version.
/// <para>
/// Limits: GELU(+∞) = +∞ with slope 1; NaN stays NaN. Below x = −10, where |GELU| &lt; 8e-23 and its slope
/// &lt; 8e-22, both are returned as 0 (so GELU(−∞) = 0): inputs to Φ are clamped to ±10, so no lane meets
/// denormal arithmetic.
/// </para>
/// <para>Work is cut into fixed parts of <see cref="PartFloats"/> elements over <see cref="WorkerPool.Shared"/>;
/// no element depends on another, so results are the same bits for any thread count. Allocation-free.</para>
/// </summary>
public static unsafe class Gelu
{
    /// <summary>Elements per part (16 KB of input: a batch-1 activation of 7×7×256 still splits over two threads).</summary>
    private const int PartFloats = 4096;

    /// <summary>y = x·Φ(x). y may be x itself (in place).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x)
    {
        CheckLengths(y, nameof(y), x, nameof(x));
        fixed (float* py = y, px = x) Run(GeluWork.Mode.Forward, py, px, null, x.Length);
    }

    /// <summary>y = GELU(y) in place, on the calling thread: an epilogue inside a part of a parallel kernel (a
    /// convolution's block of output, a max-pool's band), applied while the values are still in that core's cache.
    /// The same values as <see cref="Forward"/>.</summary>
    internal static void ForwardInPlace(float* y, int length)
    {
        if (length <= 0) return;
        var work = t_inline ??= new GeluWork();
        work.Kind = GeluWork.Mode.Forward; work.Output = y; work.X = y; work.Dy = null; work.Length = length;
        try
        {
            for (int part = 0, parts = (length + PartFloats - 1) / PartFloats; part < parts; part++) work.Execute(part);
        }
        finally { work.Output = null; work.X = null; }
    }

    [ThreadStatic] private static GeluWork? t_inline;

    /// <summary>dx = dy·(Φ(x) + x·φ(x)), from the forward input x. dx may be dy itself.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        CheckLengths(dx, nameof(dx), dy, nameof(dy));
        if (x.Length != dy.Length) throw new ArgumentException($"x must have the length of dy, {dy.Length}; got {x.Length}", nameof(x));
        if (dx.Overlaps(x)) throw new ArgumentException("dx must not overlap x", nameof(dx));
        fixed (float* pdx = dx, pdy = dy, px = x) Run(GeluWork.Mode.Backward, pdx, px, pdy, x.Length);
    }

    /// <summary>p = Φ(x), the standard normal CDF (erf(z) = 2Φ(z√2) − 1). p may be x itself.</summary>
    internal static void NormalCdf(Span<float> p, ReadOnlySpan<float> x)
    {
        CheckLengths(p, nameof(p), x, nameof(x));
        fixed (float* pp = p, px = x) Run(GeluWork.Mode.Cdf, pp, px, null, x.Length);
    }

    private static void CheckLengths(ReadOnlySpan<float> output, string outputName, ReadOnlySpan<float> input, string inputName)
    {
        if (output.Length != input.Length)
            throw new ArgumentException($"{outputName} must have the length of {inputName}, {input.Length}; got {output.Length}", outputName);
        BatchNorm.CheckInPlace(output, outputName, input, inputName, input.Length);
    }

    [ThreadStatic] private static GeluWork? t_work;

    private static void Run(GeluWork.Mode mode, float* output, float* x, float* dy, int length)
    {
        if (length == 0) return;
        var work = t_work ??= new GeluWork();
        work.Kind = mode; work.Output = output; work.X = x; work.Dy = dy; work.Length = length;
        try { WorkerPool.Shared.Run(work, (length + PartFloats - 1) / PartFloats); }
        finally { work.Output = null; work.X = null; work.Dy = null; }
    }

    private sealed class GeluWork : IParallelWork
    {
        public enum Mode { Forward, Backward, Cdf }

        public Mode Kind;
        public float* Output, X, Dy;
        public int Length;

        public void Execute(int part)
        {
            int start = part * PartFloats, end = Math.Min(Length, start + PartFloats);
            int i = CpuPath.Active switch
            {
                VectorPath.Avx512 => Apply<Vector512Ops, Vector512<float>>(start, end),
                VectorPath.Avx2 => Apply<Vector256Ops, Vector256<float>>(start, end),
                VectorPath.Vector128 => Apply<Vector128Ops, Vector128<float>>(start, end),
                _ => start,
            };
            Apply<ScalarOps, float>(i, end);
        }

        /// <summary>Whole vectors from <paramref name="start"/>; returns where they stopped.</summary>
        private int Apply<TOps, TVec>(int start, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
        {
            int w = TOps.Count, i = start;
            switch (Kind)
            {
                case Mode.Forward:
                    for (; i <= end - w; i += w) TOps.Store(Output + i, Forward<TOps, TVec>(TOps.Load(X + i)));
                    break;
                case Mode.Backward:
                    for (; i <= end - w; i += w) TOps.Store(Output + i, TOps.Multiply(TOps.Load(Dy + i), Slope<TOps, TVec>(TOps.Load(X + i))));
                    break;
                case Mode.Cdf:
                    for (; i <= end - w; i += w) TOps.Store(Output + i, GaussianMath.Cdf<TOps, TVec>(ClampBoth<TOps, TVec>(TOps.Load(X + i)), out _));
                    break;
            }
            return i;
        }
    }

    /// <summary>x·Φ(x); 0 below −10 (where |x·Φ(x)| &lt; 8e-23), so −∞ gives 0; +∞ stays +∞ (Φ = 1 there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Forward<TOps, TVec>(TVec x) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec y = TOps.Multiply(x, GaussianMath.Cdf<TOps, TVec>(ClampBoth<TOps, TVec>(x), out _));
        return TOps.Select(TOps.LessThan(x, TOps.Broadcast(-GaussianMath.Clamp)), TOps.Zero, y);
    }

    /// <summary>Φ(x) + x·φ(x) on x clamped to [−10, 10]: 1 beyond +10; 0 below −10 (where it is below 8e-22).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Slope<TOps, TVec>(TVec x) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec xc = ClampBoth<TOps, TVec>(x);
        TVec cdf = GaussianMath.Cdf<TOps, TVec>(xc, out TVec gauss);
        TVec slope = TOps.MultiplyAdd(TOps.Multiply(xc, TOps.Broadcast(InvSqrt2Pi)), gauss, cdf);
        return TOps.Select(TOps.LessThan(x, TOps.Broadcast(-GaussianMath.Clamp)), TOps.Zero, slope);
    }

    private const float InvSqrt2Pi = 0.398942280f;

    /// <summary>Clamps to [−10, 10] by comparisons, which are false for NaN, so NaN passes through.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ClampBoth<TOps, TVec>(TVec x) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec low = TOps.Broadcast(-GaussianMath.Clamp), high = TOps.Broadcast(GaussianMath.Clamp);
        x = TOps.Select(TOps.LessThan(x, low), low, x);
        return TOps.Select(TOps.LessThan(high, x), high, x);
    }
}
