using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// A batch of 64 trains as two shards through replicas, their gradients summed: the same weights on one thread and
/// two, close to a whole-batch step; BatchNormalization (ghost statistics, one moving update per step) and Dropout
/// (masks per shard) train in shards too.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class TrainingShardsTests
{
    [Fact]
    public void Sharded_steps_give_the_same_weights_on_one_thread_and_two()
    {
        float[] one, two;
        using (new EngineThreads(1)) one = Train(slices: true);
        using (new EngineThreads(2)) two = Train(slices: true);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), two.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Sharded_steps_follow_whole_batch_steps_to_rounding()
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
    [InlineData("airbench94", 1024, 8)]
    [InlineData("airbench94", 256, 2)]
    [InlineData("airbench94", 255, 1)]
    [InlineData("resnet9", 128, 2)]
    [InlineData("resnet9", 512, 8)]
    [InlineData("resnet9", 32, 1)]
    public void Shards_follow_the_batch_only(string name, int batch, int shards)
    {
        var model = ModelZoo.Create(name, 1);
        model.Build();
        Assert.Equal(shards, model.TrainingShards(batch));
    }

    [Theory]
    [InlineData(new int[0], 32)]
    [InlineData(new[] { 13 }, 32)]
    [InlineData(new[] { 31, 5 }, 64)]
    [InlineData(new[] { 15, 3, 7 }, 128)]
    [InlineData(new[] { 1 }, 1024)]
    public void A_shard_gives_the_smallest_convolution_output_a_thousand_rows(int[] sides, int images)
    {
        Assert.Equal(images, Model.ShardImagesFor(sides.Select(s => new Shape(s, s, 8))));
    }

    [Fact]
    public void Batch_norm_and_dropout_give_the_same_weights_on_one_thread_and_two()
    {
        float[] one, two;
        using (new EngineThreads(1)) one = TrainNormalised();
        using (new EngineThreads(2)) two = TrainNormalised();
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), two.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Training_one_shard_at_a_time_gives_the_same_weights()
    {
        float[] all, oneAtATime;
        using (new EngineThreads(2))
        {
            all = TrainNormalised();
            oneAtATime = TrainNormalised(shardsInFlight: 1);
        }
        Assert.Equal(all.Select(BitConverter.SingleToInt32Bits), oneAtATime.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Moving_statistics_follow_the_mean_of_the_shards_statistics()
    {
        var bn = new BatchNormalization(momentum: 0.5f, center: false, scale: false, name: "bn");
        var model = new Sequential(new Flatten(inputShape: new Shape(1, 1, 2)), bn, new Dense(2, Activation.Softmax)) { Seed = 3 };
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        Assert.Equal(2, model.TrainingShards(64));
        // Shard 0's samples are all (1, 3), shard 1's all (5, 7): each shard's variance is 0, their means' mean (3, 5).
        var x = new float[64 * 2];
        for (int i = 0; i < 64; i++) (x[2 * i], x[2 * i + 1]) = i < 32 ? (1f, 3f) : (5f, 7f);
        model.TrainOnBatch(x, new int[64]);
        var state = model.Weights.ToArray()[^4..];
        Assert.Equal([1.5f, 2.5f, 0.5f, 0.5f], state);
    }

    /// <summary>Steps of a small network with BatchNormalization and Dropout on one random batch of 96 (three shards).</summary>
    private static float[] TrainNormalised(int? shardsInFlight = null)
    {
        var model = new Sequential(
            new Conv2D(8, 3, inputShape: new Shape(8, 8, 3)), new BatchNormalization(), new ReLU(),
            new Flatten(), new Dropout(0.3f), new Dense(10, Activation.Softmax)) { Seed = 4 };
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        model.ShardsInFlight = shardsInFlight;
        Assert.Equal(3, model.TrainingShards(96));
        var rng = new Rng(9);
        var x = new float[96 * 8 * 8 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = Enumerable.Range(0, 96).Select(i => i % 10).ToArray();
        for (int s = 0; s < 3; s++) model.TrainOnBatch(x, y);
        // One replica per thread trains the three shards in turn, so memory holds a thread's shard, not every shard.
        Assert.Equal(Math.Min(Math.Min(Engine.Threads, shardsInFlight ?? 3), 3), model.TrainingReplicaCount);
        return model.Weights.ToArray();
    }

    /// <summary>Steps of the tutorial CNN with Adam on one random batch of 64.</summary>
    private static float[] Train(bool slices, int steps = 3)
    {
        var model = ModelZoo.SeedCnn(seed: 5);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        model.TrainInShards = slices;
        var rng = new Rng(8);
        var x = new float[64 * 32 * 32 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        for (int s = 0; s < steps; s++) model.TrainOnBatch(x, y);
        return model.Weights.ToArray();
    }
}
