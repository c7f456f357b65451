using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

[Collection(EngineSettingsCollection.Name)]
public class BatchNormTests
{
    public static TheoryData<int, int, double, bool> Shapes()
    {
        var data = new TheoryData<int, int, double, bool>();
        int f = 0;
        foreach (int channels in new[] { 1, 3, 5, 17, 24, 64, 256 })
        foreach (int rows in new[] { 1, 3, 31, 1025, 2100 })
        {
            data.Add(rows, channels, (f % 3) switch { 0 => 0.0, 1 => 5.0, _ => -300.0 }, f % 2 == 0);
            f++;
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_reference_on_odd_shapes(int rows, int channels, double offset, bool affine)
    {
        Assert.True(NormKernelChecks.CheckBatchNorm(rows, channels, offset, affine, new Random(rows * 7 + channels), out string detail), detail);
    }

    [Fact]
    public void Many_parts_and_a_large_mean_keep_the_variance()
    {
        // 40 000 rows of mean 1000 and σ 0.01: a one-pass Σx² − (Σx)²/n in float would lose the variance entirely.
        const int rows = 40000, channels = 3;
        var rng = new Random(3);
        var x = new float[rows * channels];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(1000 + 0.01 * NormKernelChecks.Gaussian(rng));
        float[] mean = new float[channels], variance = new float[channels];
        BatchNorm.Statistics(mean, variance, x, rows, channels);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            for (int r = 0; r < rows; r++) sum += x[r * channels + c];
            double m = sum / rows;
            for (int r = 0; r < rows; r++) squares += (x[r * channels + c] - m) * (x[r * channels + c] - m);
            Assert.Equal(m, mean[c], 1e-4);
            Assert.True(Math.Abs(variance[c] - squares / rows) < 1e-5 * squares / rows, $"variance {variance[c]} vs {squares / rows}");
        }
    }

    [Fact]
    public void Reference_backward_matches_finite_differences_of_reference_forward()
    {
        // L = Σ w·y, so dL/dy = w; central differences in double of the reference forward.
        const int rows = 4, channels = 3;
        const double eps = 1e-3, h = 1e-6;
        var rng = new Random(11);
        double[] x = Random(rng, rows * channels, -2, 2), gamma = Random(rng, channels, 0.5, 1.5), beta = Random(rng, channels, -1, 1);
        double[] w = Random(rng, rows * channels, -1, 1);
        double Loss(double[] xs, double[] gs, double[] bs)
        {
            var y = new double[rows * channels];
            BatchNormReference.TrainingForward(y, new double[channels], new double[channels], new double[channels], xs, gs, bs, rows, channels, eps);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += w[i] * y[i];
            return l;
        }
        double[] mean = new double[channels], invStd = new double[channels];
        BatchNormReference.TrainingForward(new double[rows * channels], mean, invStd, new double[channels], x, gamma, beta, rows, channels, eps);
        double[] dx = new double[rows * channels], dgamma = new double[channels], dbeta = new double[channels];
        BatchNormReference.Backward(dx, dgamma, dbeta, w, x, mean, invStd, gamma, rows, channels);
        void CheckAgainstDifferences(double[] values, double[] analytic)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + h;
                double plus = Loss(x, gamma, beta);
                values[i] = saved - h;
                double minus = Loss(x, gamma, beta);
                values[i] = saved;
                Assert.Equal((plus - minus) / (2 * h), analytic[i], 1e-6);
            }
        }
        CheckAgainstDifferences(x, dx);
        CheckAgainstDifferences(gamma, dgamma);
        CheckAgainstDifferences(beta, dbeta);
    }

    [Fact]
    public void Results_are_bit_identical_across_runs_and_thread_counts()
    {
        const int rows = 9000, channels = 24;   // 7 blocks, rows not a multiple of the part count
        var rng = new Random(5);
        var x = NormKernelChecks.Fill(rng, rows * channels, -1, 3);
        var dy = NormKernelChecks.Fill(rng, rows * channels, -1, 1);
        var gamma = NormKernelChecks.Fill(rng, channels, 0.5, 1.5);
        var beta = NormKernelChecks.Fill(rng, channels, -1, 1);
        float[][] Run(int threads)
        {
            using var _ = new EngineThreads(threads);
            float[] y = new float[rows * channels], mean = new float[channels], invStd = new float[channels], variance = new float[channels];
            float[] dx = new float[rows * channels], dgamma = new float[channels], dbeta = new float[channels];
            BatchNorm.TrainingForward(y, mean, invStd, variance, x, gamma, beta, rows, channels, 1e-5f);
            BatchNorm.Backward(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, rows, channels);
            return [y, mean, invStd, variance, dx, dgamma, dbeta];
        }
        var first = Run(1);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var again = Run(threads);
            for (int k = 0; k < first.Length; k++) Assert.Equal(first[k], again[k]);
        }
    }

    [Fact]
    public void In_place_forward_and_backward_give_the_same_bits()
    {
        const int rows = 700, channels = 17;
        var rng = new Random(8);
        var x = NormKernelChecks.Fill(rng, rows * channels, -1, 3);
        var dy = NormKernelChecks.Fill(rng, rows * channels, -1, 1);
        float[] y = new float[x.Length], mean = new float[channels], invStd = new float[channels];
        BatchNorm.TrainingForward(y, mean, invStd, [], x, [], [], rows, channels, 1e-3f);
        var dx = new float[x.Length];
        BatchNorm.Backward(dx, [], [], dy, x, mean, invStd, [], rows, channels);
        var inPlace = (float[])x.Clone();
        BatchNorm.TrainingForward(inPlace, mean, invStd, [], inPlace, [], [], rows, channels, 1e-3f);
        Assert.Equal(y, inPlace);
        BatchNorm.Backward(dy, [], [], dy, x, mean, invStd, [], rows, channels);
        Assert.Equal(dx, dy);
    }

    [Fact]
    public void Steady_state_calls_do_not_allocate()
    {
        const int rows = 5000, channels = 64;
        var rng = new Random(1);
        var x = NormKernelChecks.Fill(rng, rows * channels, -1, 1);
        var dy = NormKernelChecks.Fill(rng, rows * channels, -1, 1);
        float[] y = new float[x.Length], dx = new float[x.Length], mean = new float[channels], invStd = new float[channels];
        float[] variance = new float[channels], gamma = new float[channels], beta = new float[channels], dgamma = new float[channels], dbeta = new float[channels];
        Array.Fill(gamma, 1f);
        void Step()
        {
            BatchNorm.TrainingForward(y, mean, invStd, variance, x, gamma, beta, rows, channels, 1e-5f);
            BatchNorm.Backward(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, rows, channels);
            BatchNorm.InferenceForward(y, x, mean, variance, gamma, beta, rows, channels, 1e-5f);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        float[] x = new float[12], y = new float[12], c3 = new float[3];
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.TrainingForward(y, c3, c3, [], x, [], [], 0, 3, 1e-5f));
        Assert.Equal("rows", e1.ParamName);
        Assert.Contains("got 0", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => BatchNorm.TrainingForward(y, c3, c3, [], x, new float[2], [], 4, 3, 1e-5f));
        Assert.Equal("gamma", e2.ParamName);
        Assert.Contains("got 2", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => BatchNorm.TrainingForward(y, c3, c3, [], x, [], [], 5, 3, 1e-5f));
        Assert.Equal("x", e3.ParamName);
        Assert.Contains("got 12", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => BatchNorm.TrainingForward(x.AsSpan(1), c3, c3, [], x, [], [], 3, 3, 1e-5f));
        Assert.Equal("y", e4.ParamName);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.InferenceForward(y, x, c3, c3, [], [], 4, 3, -1f));
        Assert.Equal("epsilon", e5.ParamName);
        var e6 = Assert.Throws<ArgumentException>(() => BatchNorm.Backward(y, [], [], x, y, c3, c3, [], 4, 3));
        Assert.Equal("dx", e6.ParamName);
    }

    private static double[] Random(Random rng, int count, double lo, double hi)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        return v;
    }
}
