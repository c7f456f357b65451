using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Tests.Layers;
using Fovea.Training;

namespace Fovea.Tests.Models;

/// <summary>Keras's freezing: frozen weights stay bit for bit, a frozen BatchNorm runs in inference mode, unfreezing trains again.</summary>
public class FreezingTests
{
    private static (Tensor X, int[] Y) Data(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        var x = new Tensor(new Shape(count, 6, 6, 3));
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextSingle();
        var y = new int[count];
        for (int i = 0; i < count; i++) y[i] = rng.NextInt(4);
        return (x, y);
    }

    private static Sequential SmallModel()
    {
        var model = new Sequential([
            new Conv2D(4, (3, 3), name: "conv", inputShape: new Shape(6, 6, 3)),
            new BatchNormalization(momentum: 0.5f, name: "bn"),
            new ReLU(),
            new Flatten(),
            new Dense(4, Activation.Softmax, name: "head"),
        ]) { Seed = 5 };
        model.Compile(new Adam(1e-2f), new SparseCategoricalCrossentropy());
        return model;
    }

    private static float[] Snapshot(Model model, string layer) =>
        model.Layers.Single(l => l.Name == layer).Weights.SelectMany(p => p.Value.ToArray()).ToArray();

    [Fact]
    public void FrozenLayersKeepEveryWeightBitForBitEvenWithAdamMomentsAlreadyNonZero()
    {
        var model = SmallModel();
        var (x, y) = Data(40, 1);
        // A first epoch with everything trainable leaves Adam's moments non-zero for the layers frozen next.
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0);
        model.Freeze(upTo: "bn");
        Assert.False(model.Layers.Single(l => l.Name == "conv").Trainable);
        Assert.True(model.Layers.Single(l => l.Name == "head").Trainable);
        var conv = Snapshot(model, "conv");
        var bn = Snapshot(model, "bn");
        var head = Snapshot(model, "head");
        model.Fit(x, y, batchSize: 8, epochs: 2, verbose: 0);
        Assert.Equal(conv, Snapshot(model, "conv"));
        Assert.Equal(bn, Snapshot(model, "bn"));
        Assert.NotEqual(head, Snapshot(model, "head"));
        Assert.Equal(model.Layers.Single(l => l.Name == "head").ParameterCount, model.TrainableParameterCount);

        model.Unfreeze();
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0);
        Assert.NotEqual(conv, Snapshot(model, "conv"));
        Assert.NotEqual(bn, Snapshot(model, "bn"));
    }

    [Fact]
    public void LayerTrainableFlagAloneFreezesWithoutANewCompile()
    {
        var model = SmallModel();
        var (x, y) = Data(24, 2);
        model.Layers.Single(l => l.Name == "head").Trainable = false;
        var head = Snapshot(model, "head");
        var conv = Snapshot(model, "conv");
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0);
        Assert.Equal(head, Snapshot(model, "head"));
        Assert.NotEqual(conv, Snapshot(model, "conv"));
    }

    [Fact]
    public void FrozenDenseLayersStayPutWhenTheBatchIsTrainedInShards()
    {
        var model = new Sequential([
            new Flatten(inputShape: new Shape(6, 6, 3)),
            new Dense(8, Activation.Relu, name: "hidden"),
            new Dense(4, Activation.Softmax, name: "head"),
        ]) { Seed = 7 };
        model.Compile(new Adam(1e-2f), new SparseCategoricalCrossentropy());
        var (x, y) = Data(128, 3);
        model.Fit(x, y, batchSize: 64, epochs: 1, verbose: 0);
        Assert.True(model.TrainingShards(64) > 1);
        model.Freeze(upTo: "hidden");
        var hidden = Snapshot(model, "hidden");
        var head = Snapshot(model, "head");
        model.Fit(x, y, batchSize: 64, epochs: 1, verbose: 0);
        Assert.Equal(hidden, Snapshot(model, "hidden"));
        Assert.NotEqual(head, Snapshot(model, "head"));
    }

    [Fact]
    public void FrozenBatchNormNormalisesWithItsMovingStatisticsInTraining()
    {
        var bn = new BatchNormalization(name: "bn");
        bn.Build(new Shape(2, 2, 3), new Rng(1));
        bn.Weights.Single(p => p.Name == "moving_mean").Value.Fill(0.3f);
        bn.Weights.Single(p => p.Name == "moving_variance").Value.Fill(2f);
        bn.Trainable = false;
        bn.Plan(2);
        var x = Enumerable.Range(0, 24).Select(i => i * 0.1f).ToArray();
        var (train, infer) = (new float[24], new float[24]);
        bn.Forward(train, [x], 2, training: true);
        bn.Forward(infer, [x], 2, training: false);
        Assert.Equal(infer, train);
        Assert.All(bn.Weights.Single(p => p.Name == "moving_mean").Value.ToArray(), v => Assert.Equal(0.3f, v));
    }

    [Fact]
    public void FrozenBatchNormPassesTheInferenceGradientToItsInput()
    {
        var bn = new BatchNormalization(name: "bn") { Trainable = false };
        GradientCheck.Layer(bn, [new Shape(3, 2, 4)], batch: 3, checkWeights: false);
    }

    [Fact]
    public void FreezeRefusesAnUnknownLayerName()
    {
        var model = SmallModel();
        var e = Assert.Throws<ArgumentException>(() => model.Freeze(upTo: "nope"));
        Assert.Contains("nope", e.Message);
    }

    [Fact]
    public void FrozenLayersStayFrozenThroughAModelFileAndNeverFrozenFilesKeepNoTrainableKey()
    {
        var model = SmallModel();
        var (x, y) = Data(16, 2);
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0);
        string dir = Directory.CreateTempSubdirectory("fovea-freeze-").FullName;
        try
        {
            string plain = Path.Combine(dir, "plain.safetensors"), frozen = Path.Combine(dir, "frozen.safetensors");
            model.Save(plain);
            Assert.DoesNotContain("\"trainable\"", File.ReadAllText(plain, System.Text.Encoding.Latin1));
            model.Freeze(upTo: "bn");
            model.Save(frozen);
            var loaded = Model.Load(frozen).Model;
            Assert.False(loaded.Layers.Single(l => l.Name == "conv").Trainable);
            Assert.False(loaded.Layers.Single(l => l.Name == "bn").Trainable);
            Assert.True(loaded.Layers.Single(l => l.Name == "head").Trainable);
            Assert.Equal(model.TrainableParameterCount, loaded.TrainableParameterCount);
            Assert.True(Model.Load(plain).Model.Layers.All(l => l.Trainable));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
