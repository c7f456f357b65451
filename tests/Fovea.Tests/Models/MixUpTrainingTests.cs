using Fovea.Data.Augmentation;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// MixUp in training: it changes the step; a sample's mixed picture and target do not depend on how the batch is cut,
/// so one thread and two give the same bits and micro-batches (whose pairs straddle their edges) the whole step's
/// gradients to rounding; a model whose loss cannot blend targets is refused.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class MixUpTrainingTests
{
    [Fact]
    public void MixUp_changes_the_step()
    {
        using var _ = new EngineThreads(1);
        float[] plain = StepGradients(mixUp: false), mixed = StepGradients(mixUp: true);
        Assert.NotEqual(plain.Select(BitConverter.SingleToInt32Bits), mixed.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(mixed, g => g != 0);
    }

    [Fact]
    public void One_thread_and_two_give_the_same_weights()
    {
        float[] one, two;
        using (new EngineThreads(1)) one = TrainWeights(batch: 64);
        using (new EngineThreads(2)) two = TrainWeights(batch: 64);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), two.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Micro_batches_have_the_whole_steps_gradients_to_rounding()
    {
        using var _ = new EngineThreads(2);
        // Micro-batches of 7 out of 20: the pairs (6, 7) and (13, 14) straddle their edges.
        float[] whole = StepGradients(mixUp: true), micro = StepGradients(mixUp: true, limit: 7);
        float scale = whole.Max(MathF.Abs);
        for (int i = 0; i < whole.Length; i++) Assert.True(MathF.Abs(whole[i] - micro[i]) <= 1e-5f * scale, $"gradient {i}: {whole[i]} against {micro[i]}");
    }

    [Fact]
    public void A_loss_that_cannot_blend_targets_is_refused()
    {
        var inputs = new Input(new Shape(32, 32, 3));
        var output = new Dense(10).Call(new Flatten().Call(inputs));
        var model = new Model(inputs, output) { MixUp = new MixUp() };
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy(fromLogits: false));
        var (x, y) = Batch(8);
        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0));
        Assert.Contains("MixUp blends the targets of sparse categorical cross-entropy", e.Message);
    }

    /// <summary>The gradients of one SGD step of the tutorial CNN on a random batch of 20 (one shard), with flips.</summary>
    private static float[] StepGradients(bool mixUp, int? limit = null)
    {
        var model = ModelZoo.SeedCnn(seed: 5);
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        model.Augmentation = new AugmentationPipeline(new RandomFlip());
        model.MixUp = mixUp ? new MixUp(alpha: 1) : null;
        model.MicroBatchLimit = limit;
        var (x, y) = Batch(20);
        model.Fit(x, y, batchSize: 20, epochs: 1, shuffle: false, verbose: 0);
        return model.GradientBlock.ToArray();
    }

    /// <summary>Two epochs of the tutorial CNN with Adam, MixUp and flips on shuffled batches of <paramref name="batch"/>.</summary>
    private static float[] TrainWeights(int batch)
    {
        var model = ModelZoo.SeedCnn(seed: 5);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        model.Augmentation = new AugmentationPipeline(new RandomFlip());
        model.MixUp = new MixUp();
        var (x, y) = Batch(2 * batch + 3);
        model.Fit(x, y, batchSize: batch, epochs: 2, verbose: 0);
        return model.Weights.ToArray();
    }

    private static (Tensor X, int[] Y) Batch(int count)
    {
        var rng = new Rng(8);
        var x = new Tensor(new Shape(count, 32, 32, 3));
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextSingle();
        return (x, Enumerable.Range(0, count).Select(i => i % 10).ToArray());
    }
}
