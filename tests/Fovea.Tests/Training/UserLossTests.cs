using System.Runtime.InteropServices;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Training;

/// <summary>A loss of the user's own: Compile takes it, and training calls its Compute.</summary>
public class UserLossTests
{
    /// <summary>Cross-entropy from logits, by way of the library's: the same arithmetic through a user's class.</summary>
    private sealed class CountingCrossEntropy() : Loss(Reduction.SumOverBatchSize)
    {
        private readonly SparseCategoricalCrossentropy _inner = new(fromLogits: true);
        public int Calls { get; private set; }
        public override string Name => "counting_crossentropy";

        public override double Compute(Span<float> gradient, ReadOnlySpan<float> output, ReadOnlySpan<int> labels, int classes, float scale)
        {
            Calls++;
            return _inner.Compute(gradient, output, labels, classes, scale);
        }
    }

    private static float[] Trained(Loss loss)
    {
        var model = new Sequential(new Flatten(inputShape: (4, 4, 1)), new Dense(8, activation: Activation.Relu), new Dense(3)) { Seed = 3 };
        model.Compile(new Adam(), loss);
        var random = new Random(4);
        var x = new Tensor(new Shape(40, 4, 4, 1));
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)random.NextDouble();
        var y = Enumerable.Range(0, 40).Select(_ => random.Next(3)).ToArray();
        model.Fit(x, y, batchSize: 8, epochs: 2, verbose: 0);
        return model.Weights.ToArray();
    }

    [Fact]
    public void AUserLossTrainsAsTheLibraryLossItComputes()
    {
        var mine = new CountingCrossEntropy();
        var withMine = Trained(mine);
        var withLibrary = Trained(new SparseCategoricalCrossentropy(fromLogits: true));
        Assert.Equal(10, mine.Calls);
        Assert.True(MemoryMarshal.AsBytes(withMine.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(withLibrary.AsSpan())));
    }

    [Fact]
    public void UsageErrorsAreOneFamily()
    {
        Assert.IsAssignableFrom<FoveaUsageException>(new FoveaException("x"));
        Assert.IsAssignableFrom<FoveaUsageException>(new InvalidDataFileException("x"));
    }
}
