using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// A model whose layers treat samples on their own trains a batch of 64 as two slices through replicas, their
/// gradients summed: the same weights on one thread and two, close to a whole-batch step, and never used for a model
/// with BatchNormalization or Dropout.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class TrainingSlicesTests
{
    [Fact]
    public void Sliced_steps_give_the_same_weights_on_one_thread_and_two()
    {
        float[] one, two;
        using (new EngineThreads(1)) one = Train(slices: true);
        using (new EngineThreads(2)) two = Train(slices: true);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), two.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Sliced_steps_follow_whole_batch_steps_to_rounding()
    {
        using var _ = new EngineThreads(2);
        float[] sliced = Train(slices: true, steps: 1), whole = Train(slices: false, steps: 1);
        Assert.NotEqual(whole.Select(BitConverter.SingleToInt32Bits), sliced.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], sliced[i], 1e-5f);
    }

    [Theory]
    [InlineData("tutorial", 64, 2)]
    [InlineData("tutorial", 63, 1)]
    [InlineData("tutorial", 1000, 8)]
    [InlineData("airbench94", 1024, 1)]
    [InlineData("resnet9", 128, 1)]
    public void Slices_follow_the_batch_and_the_layers(string name, int batch, int slices)
    {
        var model = ModelZoo.Create(name, 1);
        model.Build();
        Assert.Equal(slices, model.TrainingSlices(batch));
    }

    [Fact]
    public void Dropout_keeps_whole_batch_steps()
    {
        var model = new Sequential(new Flatten(inputShape: new Shape(4, 4, 1)), new Dropout(0.5f), new Dense(3, Activation.Softmax));
        model.Build();
        Assert.Equal(1, model.TrainingSlices(128));
    }

    /// <summary>Steps of the tutorial CNN with Adam on one random batch of 64.</summary>
    private static float[] Train(bool slices, int steps = 3)
    {
        var model = ModelZoo.SeedCnn(seed: 5);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        model.TrainInSlices = slices;
        var rng = new Rng(8);
        var x = new float[64 * 32 * 32 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        for (int s = 0; s < steps; s++) model.TrainOnBatch(x, y);
        return model.Weights.ToArray();
    }
}
