using Fovea.Layers;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Losses;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>The memory plan counts what the step allocates, grows with the batch, and decides how a batch fits a budget.</summary>
public class MemoryPlanTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheLayoutCountsEveryArrayTheStepAllocates(bool training)
    {
        var model = Airbench94.Build(new Shape(32, 32, 3), 10, seed: 0, width1: 8, width2: 16, width3: 16);
        model.Build();
        int[] starts = InferenceFusion.StepStarts(InferenceFusion.Plan(model));
        var buffers = StepBuffers.Plan(model, 5, starts, inferenceOnly: !training);
        var arrays = buffers.Values.Concat(buffers.Grads.OfType<float[]>()).Concat(buffers.SumScratch)
            .Distinct(ReferenceEqualityComparer.Instance).Cast<float[]>();
        Assert.Equal(arrays.Sum(a => 4L * a.Length), StepLayout.Of(model, 5, starts, inferenceOnly: !training).Bytes);
    }

    [Fact]
    public void APlanGrowsWithTheBatchAndTrainingKeepsMoreThanInference()
    {
        var model = ModelZoo.SeedCnn();
        var one = model.PlanMemory(1);
        Assert.Equal(64 * one.ActivationBytes, model.PlanMemory(64).ActivationBytes);
        var (training, inference) = model.ActivationBytesPerPicture();
        Assert.True(training > inference, $"{training} <= {inference}");
        Assert.Equal(4 * model.ParameterCount, one.WeightBytes);
        Assert.Equal(4 * model.TrainableParameterCount, one.GradientBytes);
        Assert.Equal(0, model.PlanMemory(1, training: false).GradientBytes);
    }

    [Fact]
    public void TheOptimisersStateIsCountedOnceCompiled()
    {
        var model = ModelZoo.SeedCnn();
        Assert.Equal(0, model.PlanMemory(8).OptimizerStateBytes);
        model.Compile(new Adam(0.001f), new SparseCategoricalCrossentropy());
        // Adam keeps two moments per trainable weight.
        Assert.Equal(2 * 4 * model.TrainableParameterCount, model.PlanMemory(8).OptimizerStateBytes);
    }

    [Fact]
    public void SummaryEndsWithTheActivationBytesPerPicture()
    {
        string text = ModelZoo.SeedCnn().SummaryText();
        Assert.Matches(@"Activation memory per picture: \d+ KB training, \d+ KB inference\n_+\n$", text);
    }

    [Fact]
    public void ABatchOfOneShardLargerThanTheBudgetIsSplitIntoPartsThatFit()
    {
        var model = ModelZoo.SeedCnn();
        long whole = model.PlanMemory(20).TotalBytes;
        Assert.Equal(1, model.TrainingShards(20));
        Assert.True(MemoryBudget.For(model, 20, whole).FitsWhole);
        long budget = model.PlanMemory(10).TotalBytes;
        var split = MemoryBudget.For(model, 20, budget);
        Assert.True(split.Applied && split.MicroBatched);
        Assert.Equal(2, split.Parts);
        Assert.Equal(10, split.PartSize);
        Assert.True(split.PartBytes <= budget);
        Assert.Contains("trained as 2 micro-batches of up to 10", split.ToString());
    }

    [Fact]
    public void ABatchOfShardsLargerThanTheBudgetTrainsFewerShardsAtOnce()
    {
        var model = ModelZoo.SeedCnn();
        long shard = model.PlanMemory(32).TotalBytes;
        Assert.Equal(4, model.TrainingShards(128));
        var split = MemoryBudget.For(model, 128, 2 * shard + shard / 2);
        Assert.True(split.Applied);
        Assert.Equal((4, 32, 2), (split.Parts, split.PartSize, split.InFlight));
        Assert.Contains("4 shards of up to 32", split.ToString());
        Assert.Contains("2 at a time", split.ToString());
        Assert.Equal(1, MemoryBudget.For(model, 128, shard / 2).InFlight);
    }

    [Fact]
    public void ABudgetTooSmallForOnePictureIsRefusedWithTheSizeNeeded()
    {
        var model = ModelZoo.SeedCnn();
        long one = model.PlanMemory(1).TotalBytes;
        var e = Assert.Throws<FoveaUsageException>(() => MemoryBudget.For(model, 64, one - 1));
        Assert.Contains($"needs {ProcessMemory.Format(one)}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        // What the rest of the process holds counts too: a budget that fits the plan alone may not fit with it.
        Assert.Throws<FoveaUsageException>(() => MemoryBudget.For(model, 64, one + 1000, reserved: 2000));
        var split = MemoryBudget.For(model, 64, model.PlanMemory(64).TotalBytes + 1000, reserved: 2000);
        Assert.False(split.FitsWhole);
        Assert.Contains("kept for the runtime and the pictures", split.ToString());
    }
}
