namespace Fovea.Kernels;

/// <summary>
/// The double-precision version of <see cref="Gelu"/>, with Φ from textbook series (.NET has no Math.Erf):
/// erf(z) = (2/√π)·e^(−z²)·Σₙ 2ⁿz^(2n+1)/(1·3·…·(2n+1)) for |z| &lt; 2.5 (all terms positive, nothing cancels), and
/// Laplace's continued fraction √π·e^(z²)·erfc(z) = 1/(z + ½/(z + 1/(z + (3/2)/(z + …)))) beyond. Errors are about
/// 1e-16 absolute and, in Φ's negative tail, 1e-13 relative: far below what the float kernel is held to.
/// </summary>
public static class GeluReference
{
    /// <summary>GELU(x) = x·Φ(x), in double precision.</summary>
    public static double Forward(double x) => double.IsNegativeInfinity(x) ? 0 : x * NormalCdf(x);

    /// <summary>d/dx x·Φ(x) = Φ(x) + x·φ(x).</summary>
    public static double Slope(double x) =>
        double.IsInfinity(x) ? (x > 0 ? 1 : 0) : NormalCdf(x) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>Φ(x) = ½·erfc(−x/√2), the standard normal CDF.</summary>
    public static double NormalCdf(double x)
    {
        double z = x / Math.Sqrt(2);
        if (double.IsNaN(z)) return z;
        if (z < -2.5) return 0.5 * ErfcLarge(-z);
        if (z > 2.5) return 1 - 0.5 * ErfcLarge(z);
        return 0.5 + 0.5 * ErfSeries(z);
    }

    /// <summary>erf(z) for any z.</summary>
    public static double Erf(double z) =>
        double.IsNaN(z) ? z : z > 2.5 ? 1 - ErfcLarge(z) : z < -2.5 ? ErfcLarge(-z) - 1 : ErfSeries(z);

    private static double ErfSeries(double z)
    {
        double term = z, sum = z, twoZ2 = 2 * z * z;
        for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
        {
            term *= twoZ2 / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-z * z) * sum;
    }

    /// <summary>erfc(z) for z ≥ 2.5, the continued fraction evaluated from depth 120 upwards.</summary>
    private static double ErfcLarge(double z)
    {
        if (double.IsPositiveInfinity(z)) return 0;
        double f = z;
        for (int k = 120; k >= 1; k--) f = z + k / 2.0 / f;
        return Math.Exp(-z * z) / (Math.Sqrt(Math.PI) * f);
    }
}
