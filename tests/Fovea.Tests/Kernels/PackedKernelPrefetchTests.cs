using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Inference's row tiles prefetch the packed kernel chunk their panel reads next: a hint that must never change a
/// bit, on one thread or two, with several k blocks and a padded last panel.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class PackedKernelPrefetchTests
{
    [Theory]
    [InlineData(7, 7, 96, 80, 1)]     // k = 864: three k blocks of one kernel row; 80 filters: a padded third panel
    [InlineData(14, 14, 40, 72, 1)]   // two tiles of 7 per output row
    [InlineData(5, 9, 130, 33, 2)]    // k = 1170 in four blocks that start inside kernel rows
    public void Prefetching_changes_no_bit(int h, int w, int channels, int filters, int batch)
    {
        var g = ConvGeometry.Same(h, w, channels, 3, 3);
        var rng = new Rng(11);
        var x = Random(rng, batch * g.InputSize);
        var kernel = Random(rng, g.PatchSize * filters);
        var bias = Random(rng, filters);
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            var plain = Infer(g, filters, x, kernel, bias, batch, prefetch: false);
            var prefetched = Infer(g, filters, x, kernel, bias, batch, prefetch: true);
            Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), prefetched.Select(BitConverter.SingleToInt32Bits));
            var reference = new float[plain.Length];
            ConvolutionReference.Forward(reference, x, kernel, bias, true, batch, g, filters);
            for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], prefetched[i], 1e-3f);
        }
    }

    private static float[] Infer(ConvGeometry g, int filters, float[] x, float[] kernel, float[] bias, int batch, bool prefetch)
    {
        using var _ = new KernelOptionsScope(o => o with { PrefetchPackedKernel = prefetch });
        var plan = new Convolution(g, filters, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col);
        var y = new float[batch * g.OutPixels * filters];
        plan.Forward(y, x, kernel, bias, true, batch, kernelUnchanged: false, training: false);
        plan.Forward(y, x, kernel, bias, true, batch, kernelUnchanged: true, training: false);   // the kept packed kernel
        return y;
    }

    private static float[] Random(Rng rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = rng.NextSingle() * 2 - 1;
        return x;
    }
}
