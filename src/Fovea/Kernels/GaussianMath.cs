using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// Vectorised Φ(x) (the standard normal CDF, Φ(x) = ½(1 + erf(x/√2))) and e^(−x²/2), written once over
/// <see cref="IVectorOps{TVec}"/>. Coefficients are least-squares Chebyshev fits made for this file (mpmath, 40 digits):
/// <list type="bullet">
/// <item>|x| &lt; √2: Φ = ½ + x·P(x²), P of degree 6 (fit error 4e-10);</item>
/// <item>|x| ≥ √2: ½·erfc(|x|/√2) = e^(−x²/2)·S(1/|x|), S of degree 9 on 1/|x| ∈ [0.1, 0.71] (fit error 1.2e-8,
/// relative to S ≈ 0.4), and Φ = that for x &lt; 0, 1 − that for x &gt; 0. The negative tail thus keeps its relative
/// accuracy instead of cancelling in 1 + erf.</item>
/// </list>
/// Absolute error of Φ in float is about 1e-7 (a few float roundings of a value ≤ 1). Inputs must lie in [−10, 10]
/// (the callers clamp; NaN passes through): there e^(−x²/2) ≥ 2e-22 stays a normal float, so no lane goes
/// through slow denormal arithmetic, and beyond it Φ is 0 or 1 to within 8e-24.
/// </summary>
internal static class GaussianMath
{
    public const float Clamp = 10f;
    private const float Sqrt2 = 1.41421356f;
    private const float Log2E = 1.44269504f;
    // ln 2 split so that k·Ln2Hi is exact for the |k| ≤ 73 used here (Cody and Waite's reduction).
    private const float Ln2Hi = 0.693145752f;
    private const float Ln2Lo = 1.42860677e-6f;

    /// <summary>Φ(x) for x in [−10, 10], and g = e^(−x²/2) (so φ(x) = g/√(2π)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Cdf<TOps, TVec>(TVec x, out TVec gauss) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        // x² = hi + lo exactly (lo from an FMA), so e^(−x²/2) = e^(−hi/2)·(1 − lo/2) keeps its relative accuracy
        // at |x| = 10, where a rounded x² alone would cost 50·2⁻²⁴.
        TVec xx = TOps.Multiply(x, x);
        TVec lo = TOps.MultiplyAdd(x, x, TOps.Subtract(TOps.Zero, xx));
        TVec half = TOps.Broadcast(-0.5f);
        TVec e = Exp<TOps, TVec>(TOps.Multiply(xx, half));
        gauss = TOps.MultiplyAdd(e, TOps.Multiply(lo, half), e);

        // Near zero: ½ + x·P(x²).
        TVec p = TOps.Broadcast(4.350847394e-07f);
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(-8.857467346e-06f));
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(1.146637158e-04f));
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(-1.186799714e-03f));
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(9.973382924e-03f));
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(-6.649035844e-02f));
        p = TOps.MultiplyAdd(p, xx, TOps.Broadcast(3.989422800e-01f));
        TVec near = TOps.MultiplyAdd(x, p, TOps.Broadcast(0.5f));

        // The tails: e^(−x²/2)·S(1/|x|). Lanes near zero compute garbage (1/0) here and are not selected.
        TVec ax = TOps.Abs(x);
        TVec s = TOps.Divide(TOps.Broadcast(1f), ax);
        TVec q = TOps.Broadcast(5.758254338e-01f);
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(-2.340395912e+00f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(4.026102952e+00f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(-3.653124967e+00f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(1.588537974e+00f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(1.019915849e-01f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(-4.408173919e-01f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(6.304724916e-03f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(3.984842847e-01f));
        q = TOps.MultiplyAdd(q, s, TOps.Broadcast(1.323620237e-05f));
        TVec tail = TOps.Multiply(gauss, q);
        TVec far = TOps.Select(TOps.LessThan(x, TOps.Zero), tail, TOps.Subtract(TOps.Broadcast(1f), tail));

        return TOps.Select(TOps.LessThan(ax, TOps.Broadcast(Sqrt2)), near, far);
    }

    /// <summary>
    /// e^v for v in [−51, 0]: v = k·ln 2 + r with |r| ≤ ½ln 2, e^r by a degree-6 fit (relative error 2e-9),
    /// 2^k from the exponent bits. Relative error about 2 float ulps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Exp<TOps, TVec>(TVec v) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        TVec magic = TOps.Broadcast(SimdConstants.RoundMagic);
        TVec t = TOps.MultiplyAdd(v, TOps.Broadcast(Log2E), magic);   // k + magic: k = round(v·log₂e)
        TVec k = TOps.Subtract(t, magic);
        TVec r = TOps.MultiplyAdd(k, TOps.Broadcast(-Ln2Hi), v);
        r = TOps.MultiplyAdd(k, TOps.Broadcast(-Ln2Lo), r);
        TVec p = TOps.Broadcast(1.394110843e-03f);
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(8.375126398e-03f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(4.166635290e-02f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1.666641551e-01f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(5.000000047e-01f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1.000000038e+00f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f));
        return TOps.Multiply(p, TOps.Pow2FromMagic(t));
    }
}
