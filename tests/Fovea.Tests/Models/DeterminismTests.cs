using Fovea.Zoo;
using System.Runtime.InteropServices;
using Fovea.Data;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Models;

/// <summary>
/// Same seed and thread count: the same weights, bit for bit, after training (initialisation, shuffles and every
/// kernel's summation order are fixed). A different seed: different weights.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class DeterminismTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SameSeedAndThreadsGiveTheSameWeightsBitForBit(int threads)
    {
        using var _ = new EngineThreads(threads);
        var first = TrainedWeights(seed: 7);
        var second = TrainedWeights(seed: 7);
        Assert.True(Bits(first).SequenceEqual(Bits(second)), $"weights differ at index {FirstDifference(first, second)} on {threads} thread(s)");

        var initial = ModelZoo.SeedCnn(seed: 7);
        initial.Build();
        Assert.False(Bits(initial.Weights).SequenceEqual(Bits(first)), "training did not change the weights: the test would prove nothing");
    }

    /// <summary>
    /// Stronger than <see cref="Engine.Threads"/> promises: today every kernel splits work over output rows or
    /// columns, never over a sum (Sgemm never splits K), so the thread count does not change a result either.
    /// A kernel that gives this up for speed should say so here and in <see cref="Engine.Threads"/>.
    /// </summary>
    [Fact]
    public void OneAndTwoThreadsGiveTheSameWeightsToday()
    {
        float[] one, two;
        using (new EngineThreads(1)) one = TrainedWeights(seed: 7);
        using (new EngineThreads(2)) two = TrainedWeights(seed: 7);
        Assert.True(Bits(one).SequenceEqual(Bits(two)), $"weights differ at index {FirstDifference(one, two)} between 1 and 2 threads");
    }

    [Fact]
    public void DifferentSeedsGiveDifferentWeights()
    {
        using var _ = new EngineThreads(2);
        var a = TrainedWeights(seed: 7);
        var b = TrainedWeights(seed: 8);
        Assert.Equal(a.Length, b.Length);
        // Not one weight in common beyond chance: biases start at zero, so compare kernels through the whole block.
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i])) same++;
        Assert.True(same < a.Length / 100, $"{same} of {a.Length} weights are identical across seeds 7 and 8");
    }

    /// <summary>Two epochs of 4 steps (batch 32) on 128 random 32×32×3 images, the same data for every seed.</summary>
    private static float[] TrainedWeights(long seed)
    {
        var rng = new Rng(2024);
        const int count = 128;
        var pixels = new byte[count * 32 * 32 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.NextInt(10);

        var model = ModelZoo.SeedCnn(seed);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy(), ["accuracy"]);
        model.Fit(new ImageSet(pixels, count, 32, 32, 3), labels, batchSize: 32, epochs: 2, verbose: 0);
        return model.Weights.ToArray();
    }

    private static ReadOnlySpan<int> Bits(ReadOnlySpan<float> weights) => MemoryMarshal.Cast<float, int>(weights);

    private static int FirstDifference(float[] a, float[] b) => Bits(a).CommonPrefixLength(Bits(b));
}
