using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

[Collection(EngineSettingsCollection.Name)]
public class GeluTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(1000)]
    [InlineData(100_003)]   // several parts, a ragged last one
    public void Matches_reference_on_odd_lengths(int length)
    {
        Assert.True(NormKernelChecks.CheckGelu(length, new Random(length), out string detail), detail);
    }

    [Fact]
    public void Special_values_nan_infinities_and_branch_points()
    {
        Assert.True(NormKernelChecks.CheckGeluSpecialValues(out string detail), detail);
    }

    [Fact]
    public void Normal_cdf_is_accurate_to_1e7_absolute_and_keeps_the_tail()
    {
        Assert.True(NormKernelChecks.CheckNormalCdf(out string detail), detail);
    }

    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-4.0, -0.9999999845827421)]
    public void Reference_erf_matches_tabulated_values(double z, double erf)
    {
        Assert.Equal(erf, GeluReference.Erf(z), 1e-15);
    }

    [Theory]
    [InlineData(-3.0, 0.0013498980316300946)]
    [InlineData(-8.0, 6.22096057427178e-16)]
    [InlineData(1.0, 0.8413447460685429)]
    public void Reference_normal_cdf_matches_tabulated_values(double x, double cdf)
    {
        Assert.True(Math.Abs(GeluReference.NormalCdf(x) - cdf) <= 1e-12 * cdf, $"{GeluReference.NormalCdf(x)} vs {cdf}");
    }

    [Fact]
    public void Reference_slope_matches_finite_differences_of_reference()
    {
        const double h = 1e-6;
        for (double x = -9; x <= 9; x += 0.37)
            Assert.Equal((GeluReference.Forward(x + h) - GeluReference.Forward(x - h)) / (2 * h), GeluReference.Slope(x), 1e-8);
    }

    [Fact]
    public void Results_are_bit_identical_across_thread_counts()
    {
        var rng = new Random(4);
        var x = NormKernelChecks.Fill(rng, 200_001, -8, 8);
        var dy = NormKernelChecks.Fill(rng, x.Length, -1, 1);
        (float[], float[]) Run(int threads)
        {
            using var _ = new EngineThreads(threads);
            float[] y = new float[x.Length], dx = new float[x.Length];
            Gelu.Forward(y, x);
            Gelu.Backward(dx, dy, x);
            return (y, dx);
        }
        var (y1, dx1) = Run(1);
        var (y2, dx2) = Run(2);
        Assert.Equal(y1, y2);
        Assert.Equal(dx1, dx2);
    }

    [Fact]
    public void Steady_state_calls_do_not_allocate()
    {
        var x = NormKernelChecks.Fill(new Random(2), 300_000, -4, 4);
        float[] y = new float[x.Length], dx = new float[x.Length];
        Gelu.Forward(y, x);
        Gelu.Backward(dx, y, x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Gelu.Forward(y, x);
        Gelu.Backward(dx, y, x);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        float[] a = new float[8], b = new float[8];
        var e1 = Assert.Throws<ArgumentException>(() => Gelu.Forward(a.AsSpan(0, 7), b));
        Assert.Equal("y", e1.ParamName);
        Assert.Contains("got 7", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Gelu.Forward(a.AsSpan(1, 4), a.AsSpan(0, 4)));
        Assert.Equal("y", e2.ParamName);
        var e3 = Assert.Throws<ArgumentException>(() => Gelu.Backward(a, b, a));
        Assert.Equal("dx", e3.ParamName);
        var e4 = Assert.Throws<ArgumentException>(() => Gelu.Backward(a, b, new float[3]));
        Assert.Equal("x", e4.ParamName);
    }
}
