using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// A batch-1 forward pass reads its packed kernel panel after panel over the whole depth instead of k block by k
/// block: each output still sums its k blocks in order, so not a bit may change, on one thread or two, with several
/// k blocks, blocks that start inside kernel rows and a padded last panel.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class PackedKernelOrderTests
{
    [Theory]
    [InlineData(7, 7, 96, 80, 1)]     // k = 864: three k blocks of one kernel row; 80 filters: a padded third panel
    [InlineData(14, 14, 40, 72, 1)]   // two tiles of 7 per output row
    [InlineData(5, 9, 130, 33, 2)]    // k = 1170 in four blocks that start inside kernel rows
    public void Reading_the_kernel_panel_by_panel_changes_no_bit(int h, int w, int channels, int filters, int batch)
    {
        var g = ConvGeometry.Same(h, w, channels, 3, 3);
        var rng = new Rng(11);
        var x = Random(rng, batch * g.InputSize);
        var kernel = Random(rng, g.PatchSize * filters);
        var bias = Random(rng, filters);
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            var blockMajor = Infer(g, filters, x, kernel, bias, batch, panelMajor: false);
            var panelMajor = Infer(g, filters, x, kernel, bias, batch, panelMajor: true);
            Assert.Equal(blockMajor.Select(BitConverter.SingleToInt32Bits), panelMajor.Select(BitConverter.SingleToInt32Bits));
            var reference = new float[blockMajor.Length];
            ConvolutionReference.Forward(reference, x, kernel, bias, true, batch, g, filters);
            for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], panelMajor[i], 1e-3f);
        }
    }

    /// <summary>Read panel by panel, the row tiles prefetch the chunk stored next inside their loops (four tiles or
    /// more a chunk): a hint, the same bits, also where the last chunk's prefetch reaches past the kernel.</summary>
    [Theory]
    [InlineData(7, 7, 96, 80, 1)]
    [InlineData(14, 14, 40, 72, 1)]
    [InlineData(5, 9, 130, 33, 1)]
    public void Prefetching_the_next_chunk_changes_no_bit(int h, int w, int channels, int filters, int batch)
    {
        var g = ConvGeometry.Same(h, w, channels, 3, 3);
        var rng = new Rng(13);
        var x = Random(rng, batch * g.InputSize);
        var kernel = Random(rng, g.PatchSize * filters);
        var bias = Random(rng, filters);
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            var plain = Infer(g, filters, x, kernel, bias, batch, o => o with { PrefetchNextKernelChunk = false });
            var prefetched = Infer(g, filters, x, kernel, bias, batch, o => o with { PrefetchNextKernelChunk = true });
            Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), prefetched.Select(BitConverter.SingleToInt32Bits));
        }
    }

    private static float[] Infer(ConvGeometry g, int filters, float[] x, float[] kernel, float[] bias, int batch, bool panelMajor) =>
        Infer(g, filters, x, kernel, bias, batch, o => o with { PanelMajorPackedKernel = panelMajor });

    private static float[] Infer(ConvGeometry g, int filters, float[] x, float[] kernel, float[] bias, int batch, Func<KernelOptions, KernelOptions> options)
    {
        using var _ = new KernelOptionsScope(options);
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
