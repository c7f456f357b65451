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
    public void ABatchLargerThanTheBudgetIsSplitIntoPartsThatFit()
    {
        var model = ModelZoo.SeedCnn();
        long whole = model.PlanMemory(64).TotalBytes;
        var fits = MemoryBudget.For(model, 64, whole);
        Assert.True(fits.FitsWhole);
        long budget = model.PlanMemory(20).TotalBytes;
        var split = MemoryBudget.For(model, 64, budget);
        Assert.Equal(4, split.Parts);
        Assert.Equal(16, split.PartSize);
        Assert.True(split.PartBytes <= budget);
        Assert.Contains("4 micro-batches of up to 16", split.ToString());
    }

    [Fact]
    public void ABudgetTooSmallForOnePictureIsRefusedWithTheSizeNeeded()
    {
        var model = ModelZoo.SeedCnn();
        long one = model.PlanMemory(1).TotalBytes;
        var e = Assert.Throws<FoveaUsageException>(() => MemoryBudget.For(model, 64, one - 1));
        Assert.Contains($"needs {ProcessMemory.Format(one)}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
