using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Counts the calling thread's allocations, so it runs alone: while another test holds the shared worker pool,
/// a parallel call waits on the pool's lock, and that contended wait allocated (7,760 bytes, seen in about one
/// run in two once the convolution tests also ran on the pool).
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class SgemmAllocationTests
{
    [Fact]
    public void Steady_state_calls_do_not_allocate()
    {
        const int m = 200, n = 96, k = 700;
        var rng = new Random(1);
        float[] a = SgemmAllocationTests.Random(rng, m * k), b = SgemmAllocationTests.Random(rng, k * n), c = new float[m * n], bias = SgemmAllocationTests.Random(rng, n);
        foreach (int threads in new[] { 1, 2 })
        {
            Sgemm.Multiply(m, n, k, a, k, false, b, n, false, c, n, bias: bias, relu: true, threads: threads);   // warm-up
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
                Sgemm.Multiply(m, n, k, a, k, false, b, n, false, c, n, bias: bias, relu: true, threads: threads);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    internal static float[] Random(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
