using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>Convolution results across thread counts and repeated runs, and its memory as the batch grows.
/// These set <see cref="Engine.Threads"/> or count allocations, so they run alone.</summary>
[Collection(EngineSettingsCollection.Name)]
public class ConvolutionDeterminismTests
{
    [Theory]
    [InlineData(false)]   // 3×3×24×32: the whole-SGEMM kernel gradient
    [InlineData(true)]    // 2×2×3×24: the split-k kernel gradient
    public void Every_pass_is_bit_identical_across_runs_and_thread_counts(bool firstLayer)
    {
        var g = firstLayer ? ConvGeometry.Valid(16, 16, 3, 2, 2) : ConvGeometry.Same(11, 9, 24, 3, 3, 2, 1);
        int filters = firstLayer ? 24 : 32, batch = 9;
        var rng = new Random(5);
        var x = ConvolutionTests.Random(rng, batch * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var bias = ConvolutionTests.Random(rng, filters);
        var dz = ConvolutionTests.Random(rng, batch * g.OutPixels * filters);
        var plan = new Convolution(g, filters, 4 * g.OutPixels * g.PatchSize);   // tiles of 4, 4, 1 images
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 2, 1 })
        {
            using var _ = new EngineThreads(threads);
            var y = new float[dz.Length];
            var dx = new float[x.Length];
            var dw = new float[w.Length];
            plan.Forward(y, x, w, bias, relu: true, batch);
            plan.BackwardInput(dx, dz, w, batch);
            plan.BackwardKernel(dw, dz, x, batch);
            float[] all = [.. y, .. dx, .. dw];
            if (first is null) first = all;
            else Assert.Equal(first, all);
        }
    }

    [Fact]
    public void Scratch_stays_flat_as_the_batch_grows()
    {
        var g = ConvGeometry.Same(15, 15, 16, 3, 3);
        const int filters = 16;
        var plan = new Convolution(g, filters, 3 * g.OutPixels * g.PatchSize);
        var rng = new Random(9);
        int big = 40;
        var x = ConvolutionTests.Random(rng, big * g.InputSize);
        var w = ConvolutionTests.Random(rng, g.PatchSize * filters);
        var dz = ConvolutionTests.Random(rng, big * g.OutPixels * filters);
        var y = new float[dz.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        void Step(int batch)
        {
            plan.Forward(y, x, w, ReadOnlyMemory<float>.Empty, relu: false, batch);
            plan.BackwardInput(dx, dz, w, batch);
            plan.BackwardKernel(dw, dz, x, batch);
        }
        Step(3);   // allocates the one tile of scratch (and the SGEMM's per-thread pack buffers)
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(big);
        Step(7);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
