using System.Runtime.InteropServices;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Optimizers.Schedules;
using Fovea.Training;

namespace Fovea.Tests.Training;

/// <summary>
/// The learning-rate finder sweeps the compiled optimiser's rate, leaves weights and optimiser state exactly as they
/// were, is deterministic for a seed, and suggests fast.ai's "valley".
/// </summary>
public class LearningRateFinderTests
{
    public static TheoryData<string> Optimizers => ["adam", "sgd", "adamw-cosine", "lookahead"];

    private static Optimizer Make(string name) => name switch
    {
        "adam" => new Adam(),
        "sgd" => new Sgd(0.05f, momentum: 0.9f, nesterov: true, weightDecay: 5e-4f),
        "adamw-cosine" => new AdamW(new CosineDecay(1e-3, 50)),
        _ => new Lookahead(new Sgd(0.05f, momentum: 0.9f), syncPeriod: 3),
    };

    /// <summary>Convolution, BatchNorm (moving statistics in the weight block) and Dropout (seeded by the step).</summary>
    private static Model SmallModel(string optimizer, long seed = 5)
    {
        var model = new Sequential(
            new Conv2D(4, 3, Activation.Relu, Padding.Same, inputShape: (6, 6, 1)),
            new BatchNormalization(),
            new MaxPool2D(2),
            new Dropout(0.25f),
            new Flatten(),
            new Dense(3)) { Seed = seed };
        model.Compile(Make(optimizer), new SparseCategoricalCrossentropy(fromLogits: true));
        return model;
    }

    private static (Tensor X, int[] Y) Data(int count = 48)
    {
        var random = new Random(11);
        var x = new Tensor(new Shape(count, 6, 6, 1));
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = random.Next(3);
            for (int p = 0; p < 36; p++) x.Data[i * 36 + p] = (float)random.NextDouble() * 0.5f + (p % 3 == y[i] ? 0.5f : 0);
        }
        return (x, y);
    }

    private static byte[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    private static byte[] OptimizerBits(Optimizer optimizer) =>
        optimizer.GetSlots().OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => Bits(kv.Value)).ToArray();

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void TheSweepLeavesWeightsAndOptimiserStateBitIdentical(string optimizer)
    {
        var (x, y) = Data();
        var model = SmallModel(optimizer);
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0); // an optimiser with moments and a step count already
        byte[] weights = Bits(model.Weights), slots = OptimizerBits(model.Optimizer!);
        long iterations = model.Optimizer!.Iterations;
        float rate = model.Optimizer.LearningRate;

        var sweep = new LearningRateFinder { BatchSize = 8, Steps = 30 }.Run(model, x, y);

        Assert.True(sweep.Losses.Count >= 2);
        Assert.Equal(weights, Bits(model.Weights));
        Assert.Equal(slots, OptimizerBits(model.Optimizer));
        Assert.Equal(iterations, model.Optimizer.Iterations);
        Assert.Equal(rate, model.Optimizer.LearningRate); // the schedule or fixed rate is back
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void TrainingAfterASweepIsTrainingWithoutIt(string optimizer)
    {
        var (x, y) = Data();
        var plain = SmallModel(optimizer);
        plain.Fit(x, y, batchSize: 8, epochs: 2, verbose: 0);

        var swept = SmallModel(optimizer);
        new LearningRateFinder { BatchSize = 8, Steps = 20 }.Run(swept, x, y);
        swept.Fit(x, y, batchSize: 8, epochs: 2, verbose: 0);

        Assert.Equal(Bits(plain.Weights), Bits(swept.Weights));
    }

    [Fact]
    public void TheSameSeedGivesTheSameSweep()
    {
        var (x, y) = Data();
        var first = new LearningRateFinder { BatchSize = 8, Steps = 40 }.Run(SmallModel("adam"), x, y);
        var second = new LearningRateFinder { BatchSize = 8, Steps = 40 }.Run(SmallModel("adam"), x, y);
        var other = new LearningRateFinder { BatchSize = 8, Steps = 40 }.Run(SmallModel("adam", seed: 6), x, y);
        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Suggestion, second.Suggestion);
        Assert.NotEqual(first.Losses, other.Losses);
    }

    [Fact]
    public void TheRateRisesExponentiallyAndASweepThatDivergesStops()
    {
        // Labels no rule decides: the loss cannot reach zero, so large rates make it blow up.
        var (x, _) = Data();
        var random = new Random(3);
        int[] y = Enumerable.Range(0, x.Shape[0]).Select(_ => random.Next(3)).ToArray();
        for (int i = 0; i < x.Length; i++) x.Data[i] *= 4;
        var model = new Sequential(new Flatten(inputShape: (6, 6, 1)), new Dense(3)) { Seed = 2 };
        model.Compile(new Sgd(0.01f, momentum: 0.9f), new SparseCategoricalCrossentropy(fromLogits: true));
        var sweep = new LearningRateFinder { BatchSize = 8, Steps = 100 }.Run(model, x, y);
        Assert.Equal(1e-7, sweep.LearningRates[0], 12);
        for (int i = 1; i < sweep.LearningRates.Count; i++)
            Assert.Equal(Math.Pow(1e8, 1 / 99.0), sweep.LearningRates[i] / sweep.LearningRates[i - 1], 9);
        // Plain SGD with momentum at rates near 10 blows the loss up: the sweep ends before its last step.
        Assert.True(sweep.Diverged);
        Assert.True(sweep.Losses.Count < 100, $"{sweep.Losses.Count} steps");
        double best = sweep.Losses.Take(sweep.Losses.Count - 1).Min();
        Assert.True(!double.IsFinite(sweep.Losses[^1]) || sweep.Losses[^1] > 4 * best);
    }

    [Fact]
    public void TheSmoothedLossIsTheBiasCorrectedMovingAverage()
    {
        var (x, y) = Data();
        var sweep = new LearningRateFinder { BatchSize = 8, Steps = 12, EndLearningRate = 1e-3 }.Run(SmallModel("adam"), x, y);
        double average = 0;
        for (int i = 0; i < sweep.RawLosses.Count; i++)
        {
            average = 0.98 * average + 0.02 * sweep.RawLosses[i];
            // The same formula, but the bias correction may be formed another way: equal to a few units in the last place.
            double expected = average / (1 - Math.Pow(0.98, i + 1));
            Assert.Equal(expected, sweep.Losses[i], 1e-12 * Math.Abs(expected));
        }
    }

    [Fact]
    public void TheValleyLiesInTheLongestFallAndTheSteepestWhereItFallsFastest()
    {
        // Flat, then a long fall on log(rate), then a rise: fast.ai's valley is a half of the way into the fall.
        double[] rates = Enumerable.Range(0, 100).Select(i => 1e-7 * Math.Pow(1e8, i / 99.0)).ToArray();
        double[] losses = rates.Select((_, i) => i < 30 ? 2.3 + 0.0001 * (i % 2) : i < 70 ? 2.3 - (i - 29) * 0.03 + (i == 50 ? -0.2 : 0) : 1.1 + (i - 70) * 0.2).ToArray();
        var (rate, index) = LearningRateFinder.Valley(rates, losses, 100);
        Assert.InRange(index, 40, 55);
        Assert.Equal(rates[index], rate);
        Assert.Equal(rates[49], LearningRateFinder.Steepest(rates, losses, 100));
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        var (x, y) = Data();
        var model = SmallModel("adam");
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateFinder { Steps = 1 }.Run(model, x, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateFinder { StartLearningRate = 1, EndLearningRate = 0.1 }.Run(model, x, y));
        var uncompiled = new Sequential(new Flatten(inputShape: (6, 6, 1)), new Dense(3));
        Assert.Throws<InvalidOperationException>(() => new LearningRateFinder().Run(uncompiled, x, y));
    }
}
