using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// The forward pass and the kernel gradient read patches in place (implicit GEMM) instead of unfolding them: on
/// random floats they must give exactly the bits of the unfolded matrix's GEMMs, which the training runs' figures
/// were measured with.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class ImplicitConvolutionTests
{
    public static TheoryData<string, int, int> Cases => new()
    {
        { "valid 32x32x3 k3", 32, 5 },      // the tutorial's first layer: 27-deep patches
        { "valid 15x15x32 k3", 64, 3 },
        { "same 31x31x24 k3", 64, 2 },       // airbench's first block, padded copy
        { "same 7x7x256 k3", 256, 2 },       // k = 2304: several k blocks, each starting inside a kernel row
        { "same 3x3x140 k3", 45, 1 },        // row tiles of 3 with top and bottom blocks skipped
        { "same 9x8x17 k3 s2", 9, 3 },
        { "valid 12x11x3 k2", 24, 7 },
        { "padded 7x6x9 k3 s2", 37, 2 },
        { "same 5x5x1 k5", 33, 1 },
        { "same 6x5x40 k3 f400", 400, 2 },  // 400 filters: the input gradient's chains run in two k blocks
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_unfolded_gemms_bit_for_bit(string shape, int filters, int batch)
    {
        var g = Parse(shape);
        var rng = new Rng(3);
        var x = Random(rng, batch * g.InputSize);
        var w = Random(rng, g.PatchSize * filters);
        var bias = Random(rng, filters);
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            foreach (bool relu in new[] { false, true })
            {
                var implicitOut = new float[batch * g.OutPixels * filters];
                var unfoldedOut = new float[implicitOut.Length];
                new Convolution(g, filters).Forward(implicitOut, x, w, bias, relu, batch);
                using (new KernelOptionsScope(o => o with { ImplicitForward = false }))
                    new Convolution(g, filters).Forward(unfoldedOut, x, w, bias, relu, batch);
                Assert.Equal(unfoldedOut.Select(BitConverter.SingleToInt32Bits), implicitOut.Select(BitConverter.SingleToInt32Bits));
            }
            // The kernel gradient, accumulated onto the same values: split-k parts for small kernels, the parallel
            // SGEMM for large ones, tiles of two images (the default budget's tiles for the large shapes).
            var dz = Random(rng, batch * g.OutPixels * filters);
            var start = Random(rng, g.PatchSize * filters);
            int tile = Math.Min(2 * g.OutPixels * g.PatchSize, Convolution.DefaultTileFloats);
            var implicitGrad = (float[])start.Clone();
            var unfoldedGrad = (float[])start.Clone();
            new Convolution(g, filters, tile).BackwardKernel(implicitGrad, dz, x, batch);
            using (new KernelOptionsScope(o => o with { ImplicitForward = false }))
                new Convolution(g, filters, tile).BackwardKernel(unfoldedGrad, dz, x, batch);
            Assert.Equal(unfoldedGrad.Select(BitConverter.SingleToInt32Bits), implicitGrad.Select(BitConverter.SingleToInt32Bits));

            // The input gradient, over stale values it must overwrite.
            var implicitDx = Random(rng, x.Length);
            var unfoldedDx = Random(rng, x.Length);
            using (new KernelOptionsScope(o => o with { FusedInputGradient = true }))   // whatever the geometry rule would choose
                new Convolution(g, filters, tile).BackwardInput(implicitDx, dz, w, batch);
            using (new KernelOptionsScope(o => o with { ImplicitForward = false }))
                new Convolution(g, filters, tile).BackwardInput(unfoldedDx, dz, w, batch);
            Assert.Equal(unfoldedDx.Select(BitConverter.SingleToInt32Bits), implicitDx.Select(BitConverter.SingleToInt32Bits));
        }
    }

    private static ConvGeometry Parse(string shape) => shape switch
    {
        "valid 32x32x3 k3" => ConvGeometry.Valid(32, 32, 3, 3, 3),
        "valid 15x15x32 k3" => ConvGeometry.Valid(15, 15, 32, 3, 3),
        "same 31x31x24 k3" => ConvGeometry.Same(31, 31, 24, 3, 3),
        "same 7x7x256 k3" => ConvGeometry.Same(7, 7, 256, 3, 3),
        "same 3x3x140 k3" => ConvGeometry.Same(3, 3, 140, 3, 3),
        "same 9x8x17 k3 s2" => ConvGeometry.Same(9, 8, 17, 3, 3, 2, 2),
        "valid 12x11x3 k2" => ConvGeometry.Valid(12, 11, 3, 2, 2),
        "padded 7x6x9 k3 s2" => ConvGeometry.Padded(7, 6, 9, 3, 3, 2, 1, 1, 2, 1, 0),
        "same 5x5x1 k5" => ConvGeometry.Same(5, 5, 1, 5, 5),
        "same 6x5x40 k3 f400" => ConvGeometry.Same(6, 5, 40, 3, 3),
        _ => throw new ArgumentException(shape),
    };

    private static float[] Random(Rng rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = rng.NextSingle() * 2 - 1;
        return x;
    }
}
