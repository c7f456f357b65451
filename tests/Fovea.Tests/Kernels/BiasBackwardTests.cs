using System.Numerics.Tensors;
using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

/// <summary>
/// The bias's backward pass masks the output gradient by the ReLU and sums its columns in one sweep: the same bits as
/// masking it whole and then adding it row by row, for any column count (vector blocks of 64 and 16 columns and the
/// scalar rest), with and without the ReLU, on one thread or two.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class BiasBackwardTests
{
    [Theory]
    [InlineData(37, 10)]
    [InlineData(300, 16)]
    [InlineData(901, 32)]
    [InlineData(129, 64)]
    [InlineData(77, 83)]
    [InlineData(65, 256)]
    public void Matches_masking_then_adding_row_by_row(int rows, int cols)
    {
        var rng = new Rng(21);
        var dy = new float[rows * cols];
        var y = new float[rows * cols];
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = rng.NextSingle() * 2 - 1;
            y[i] = i % 7 == 0 ? 0f : rng.NextSingle() * 2 - 1;   // zeros too: relu'(0) = 0
        }
        var start = Enumerable.Range(0, cols).Select(j => (float)Math.Sin(j)).ToArray();
        foreach (bool relu in new[] { false, true })
            foreach (int threads in new[] { 1, 2 })
            {
                using var _ = new EngineThreads(threads);
                var grad = (float[])dy.Clone();
                var biasGrad = (float[])start.Clone();
                new BiasBackward().Run(biasGrad, grad, y, rows, cols, relu);

                var expectedGrad = (float[])dy.Clone();
                var expectedBias = (float[])start.Clone();
                var partials = new float[cols];
                const int chunks = 32;
                for (int c = 0; c < chunks; c++)
                {
                    int r0 = (int)((long)rows * c / chunks), r1 = (int)((long)rows * (c + 1) / chunks);
                    Array.Clear(partials);
                    for (int r = r0; r < r1; r++)
                    {
                        var row = expectedGrad.AsSpan(r * cols, cols);
                        if (relu)
                            for (int j = 0; j < cols; j++)
                                if (!(y[r * cols + j] > 0)) row[j] = 0;
                        TensorPrimitives.Add(partials, row, partials);
                    }
                    TensorPrimitives.Add(expectedBias, partials, expectedBias);
                }
                Assert.Equal(expectedGrad.Select(BitConverter.SingleToInt32Bits), grad.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(expectedBias.Select(BitConverter.SingleToInt32Bits), biasGrad.Select(BitConverter.SingleToInt32Bits));
            }
    }
}
