using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// A batch of one shard over the memory budget trains as micro-batches with their gradients accumulated: the whole
/// step's gradients to rounding on a model without BatchNormalization, the same bits for the same settings, a split
/// that follows the limit and the batch alone, and evaluation batches that stay within the budget.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class MicroBatchTests
{
    [Fact]
    public void A_micro_batched_step_has_the_whole_steps_gradients_to_rounding()
    {
        using var _ = new EngineThreads(2);
        float[] whole = StepGradients(limit: null), micro = StepGradients(limit: 7);
        Assert.Contains(whole, g => g != 0);
        float scale = whole.Max(MathF.Abs);
        for (int i = 0; i < whole.Length; i++) Assert.True(MathF.Abs(whole[i] - micro[i]) <= 1e-5f * scale, $"gradient {i}: {whole[i]} against {micro[i]}");
    }

    [Fact]
    public void The_same_settings_give_the_same_bits()
    {
        using var _ = new EngineThreads(2);
        Assert.Equal(StepGradients(limit: 7).Select(BitConverter.SingleToInt32Bits), StepGradients(limit: 7).Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(20, 7, 3)]
    [InlineData(20, 20, 1)]
    [InlineData(20, 10, 2)]
    [InlineData(5, 7, 1)]
    [InlineData(63, 1, 63)]
    [InlineData(64, 8, 1)] // two shards: split along the shards instead
    public void The_split_follows_the_limit_and_the_batch_only(int batch, int limit, int parts)
    {
        var model = ModelZoo.SeedCnn();
        model.Build();
        model.MicroBatchLimit = limit;
        Assert.Equal(parts, model.MicroBatches(batch));
    }

    [Fact]
    public void A_budget_over_a_batch_of_one_shard_sets_micro_batches_and_says_so()
    {
        var model = ModelZoo.SeedCnn();
        long budget = model.PlanMemory(10).TotalBytes;
        var split = MemoryBudget.For(model, 20, budget);
        Assert.True(split.Applied && split.MicroBatched);
        split.Apply(model);
        Assert.Equal(10, model.MicroBatchLimit);
        Assert.Equal(2, model.MicroBatches(20));
        Assert.Contains("trained as 2 micro-batches of up to 10", split.ToString());
        Assert.Contains("gradients accumulated", split.ToString());
        Assert.DoesNotContain("BatchNorm", split.ToString());
    }

    [Fact]
    public void Evaluation_batches_stay_within_the_budget()
    {
        var model = ModelZoo.SeedCnn(seed: 2);
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        var (x, y) = Batch(20);
        float[] alone = model.Predict(x, batchSize: 1).Data;
        var saved = Engine.MaxMemory;
        try
        {
            Engine.MaxMemory = model.PlanMemory(6).TotalBytes;
            Assert.Equal(6, model.EvaluationBatch(64, 100));
            Assert.Equal(4, model.EvaluationBatch(4, 100));
            var result = model.Evaluate(x, y, batchSize: 64);
            Assert.Equal(6, model.PlannedBatch);
            Assert.Equal(alone, model.Predict(x, batchSize: 64).Data);
            Assert.Equal(6, model.PlannedBatch);
            Assert.InRange(result.Accuracy, 0, 1);
            // A plan the model already holds costs nothing more: a smaller budget does not shrink the batch below it.
            Engine.MaxMemory = model.PlanMemory(2).TotalBytes;
            Assert.Equal(6, model.EvaluationBatch(64, 100));
        }
        finally
        {
            Engine.MaxMemory = saved;
        }
    }

    [Fact]
    public void Evaluation_passes_take_at_most_the_fastest_batch_and_predict_the_same()
    {
        var model = ModelZoo.SeedCnn(seed: 3);
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        Assert.Equal(Model.MaxEvaluationBatch, model.EvaluationBatch(1024, 5000));
        Assert.Equal(100, model.EvaluationBatch(1024, 100));
        var (x, _) = Batch(Model.MaxEvaluationBatch + 7);
        Assert.Equal(model.Predict(x, batchSize: 1).Data, model.Predict(x, batchSize: 4096).Data);
        Assert.Equal(Model.MaxEvaluationBatch, model.PlannedBatch);
    }

    /// <summary>The gradients of one SGD step of the tutorial CNN on a random batch of 20 (one shard).</summary>
    private static float[] StepGradients(int? limit)
    {
        var model = ModelZoo.SeedCnn(seed: 5);
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        model.MicroBatchLimit = limit;
        Assert.Equal(limit is null ? 1 : 3, model.MicroBatches(20));
        var (x, y) = Batch(20);
        model.Fit(x, y, batchSize: 20, epochs: 1, shuffle: false, verbose: 0);
        return model.GradientBlock.ToArray();
    }

    private static (Tensor X, int[] Y) Batch(int count)
    {
        var rng = new Rng(8);
        var x = new Tensor(new Shape(count, 32, 32, 3));
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextSingle();
        return (x, Enumerable.Range(0, count).Select(i => i % 10).ToArray());
    }
}
