using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class FmaPeakTests
{
    [Fact]
    public void MeasuresAFiniteCeilingOnOneAndTwoThreads()
    {
        double one = FmaPeak.Measure(1, seconds: 0.02, trials: 2);
        double two = FmaPeak.Measure(2, seconds: 0.02, trials: 2);
        Assert.True(double.IsFinite(one) && one > 0.1, $"one thread: {one} GFLOPS");
        // No ratio between the two: on a busy machine the second thread may wait for a core the whole trial.
        Assert.True(double.IsFinite(two) && two > 0.1, $"two threads: {two} GFLOPS");
    }

    [Fact]
    public void NamesTheProcessor()
    {
        Assert.False(string.IsNullOrWhiteSpace(CpuDescription.Name));
        Assert.DoesNotContain('\n', CpuDescription.Name);
    }
}
