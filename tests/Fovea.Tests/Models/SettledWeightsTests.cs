using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Optimizers.Schedules;
using Fovea.Training;

namespace Fovea.Tests.Models;

/// <summary>
/// Weights whose parameter group has stopped (airbench's whitening layer after its first epochs) need no gradient:
/// their layer's backward, and the input gradient of the layer after it, are no longer computed, and no other bit
/// of the training changes.
/// </summary>
public class SettledWeightsTests
{
    private static (Tensor X, int[] Y) Data(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        var x = new Tensor(new Shape(count, 9, 9, 3));
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextSingle();
        var y = new int[count];
        for (int i = 0; i < count; i++) y[i] = rng.NextInt(5);
        return (x, y);
    }

    /// <summary>airbench's shape in small: a 2×2 convolution that trains for the first steps only, then convolutions,
    /// a pooling and BatchNorm (trained in shards of 32) under Nesterov SGD inside Lookahead.</summary>
    private static Sequential Model(long stopAfterStep, bool skip)
    {
        var model = new Sequential([
            new Conv2D(6, (2, 2), name: "first", inputShape: new Shape(9, 9, 3)),
            new Gelu(),
            new Conv2D(8, (3, 3), padding: Padding.Same, useBias: false, name: "second"),
            new MaxPool2D((2, 2)),
            new BatchNormalization(momentum: 0.6f, scale: false),
            new Gelu(),
            new Flatten(),
            new Dense(5, Activation.Softmax, name: "head"),
        ]) { Seed = 11 };
        var sgd = new Sgd(new PiecewiseLinear((0, 0.02), (8, 0.05)), 0.85f, nesterov: true, weightDecay: 0.01f)
        {
            Groups = { new ParameterGroup(p => p.Layer.Name == "first", StopAfterStep: stopAfterStep) },
        };
        model.Compile(new Lookahead(sgd, syncPeriod: 3), new SparseCategoricalCrossentropy());
        model.SkipsSettledBackward = skip;
        return model;
    }

    private static float[] AllWeights(Model model) => model.Layers.SelectMany(l => l.Weights).SelectMany(p => p.Value.ToArray()).ToArray();

    [Fact]
    public void A_stopped_group_runs_no_backward_and_changes_no_other_bit()
    {
        var (x, y) = Data(128, 3);
        var skipping = Model(stopAfterStep: 4, skip: true);
        var computing = Model(stopAfterStep: 4, skip: false);
        var first = skipping.Layers.Single(l => l.Name == "first");

        // Two steps an epoch, each a batch of 64 in two shards: the group stops after the second epoch.
        skipping.Fit(x, y, batchSize: 64, epochs: 2, verbose: 0);
        computing.Fit(x, y, batchSize: 64, epochs: 2, verbose: 0);
        Assert.True(skipping.RunsBackward(first));
        var whileTraining = AllWeights(skipping);
        Assert.Equal(whileTraining, AllWeights(computing));

        skipping.Fit(x, y, batchSize: 64, epochs: 3, verbose: 0);
        computing.Fit(x, y, batchSize: 64, epochs: 3, verbose: 0);
        Assert.False(skipping.RunsBackward(first));
        Assert.False(skipping.RunsBackward(skipping.Layers[1]));
        Assert.True(skipping.RunsBackward(skipping.Layers.Single(l => l.Name == "second")));
        Assert.True(computing.RunsBackward(computing.Layers.Single(l => l.Name == "first")));
        var after = AllWeights(skipping);
        Assert.Equal(after, AllWeights(computing));
        Assert.NotEqual(whileTraining, after);
    }

    [Fact]
    public void A_new_compile_forgets_the_stopped_group()
    {
        var (x, y) = Data(64, 4);
        var model = Model(stopAfterStep: 1, skip: true);
        var first = model.Layers.Single(l => l.Name == "first");
        model.Fit(x, y, batchSize: 32, epochs: 2, verbose: 0);
        Assert.False(model.RunsBackward(first));

        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        var before = first.Weights.SelectMany(p => p.Value.ToArray()).ToArray();
        model.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
        Assert.True(model.RunsBackward(first));
        Assert.NotEqual(before, first.Weights.SelectMany(p => p.Value.ToArray()).ToArray());
    }
}
