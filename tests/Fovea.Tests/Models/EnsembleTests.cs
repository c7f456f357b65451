using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Tests.Data;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

public class EnsembleTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Model Trained(long seed)
    {
        var model = ModelZoo.SeedCnn(seed: seed);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy(), ["accuracy"]);
        var (x, y) = PersistenceTests.RandomImages(64, (int)seed);
        model.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
        return model;
    }

    [Fact]
    public void PredictsTheMeanOfItsMembersProbabilities()
    {
        Model[] members = [Trained(1), Trained(2), Trained(3)];
        var ensemble = Ensemble.Combine(members);
        var (x, _) = PersistenceTests.RandomImages(20, 9);
        var expected = members.Select(m => m.Predict(x).Data).ToArray();
        var actual = ensemble.Predict(x).Data;
        Assert.Equal(expected[0].Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.Equal((expected[0][i] + expected[1][i] + expected[2][i]) / 3, actual[i], 6);
        Assert.Equal(members.Sum(m => m.ParameterCount), ensemble.ParameterCount);
        Assert.Contains(ensemble.Layers, l => l.Name == "member2_conv2d");
        Assert.IsType<Average>(ensemble.Layers[^1]);
    }

    /// <summary>The logits of a mean of probabilities are its logarithm: their softmax is the mean again, so a
    /// temperature tempers the ensemble as it does one network.</summary>
    [Fact]
    public void ItsLogitsAreTheLogarithmOfTheMean()
    {
        var ensemble = Ensemble.Combine([Trained(1), Trained(2)]);
        var (x, _) = PersistenceTests.RandomImages(12, 5);
        var probabilities = ensemble.Predict(x).Data;
        var logits = ensemble.PredictLogits(x).Data;
        for (int i = 0; i < logits.Length; i++) Assert.Equal(MathF.Log(probabilities[i]), logits[i], 5);
        ensemble.Temperature = 2;
        var tempered = ensemble.Predict(x).Data;
        for (int n = 0; n < 12; n++)
        {
            var row = probabilities.AsSpan(n * 10, 10).ToArray().Select(p => Math.Sqrt(p)).ToArray();
            double sum = row.Sum();
            for (int c = 0; c < 10; c++) Assert.Equal(row[c] / sum, tempered[n * 10 + c], 5);
        }
    }

    /// <summary>ReleaseMemory frees the plan, the replicas and the derived kernels: what comes after is unchanged,
    /// predictions and further training alike.</summary>
    [Fact]
    public void ReleasingMemoryChangesNothingThatFollows()
    {
        var (model, twin) = (ResNet9(), ResNet9());
        var (x, y) = PersistenceTests.RandomImages(64, 7);
        foreach (var m in new[] { model, twin }) m.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
        var before = model.Predict(x, batchSize: 16).Data;
        model.ReleaseMemory();
        Assert.Equal(before, model.Predict(x, batchSize: 16).Data);
        model.ReleaseMemory();
        foreach (var m in new[] { model, twin }) m.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
        Assert.Equal(twin.Weights.ToArray(), model.Weights.ToArray());
    }

    private static Model ResNet9()
    {
        var model = ModelZoo.Get("resnet9").Create(new Shape(32, 32, 3), 10, 3);
        model.Compile(new Sgd(0.01f, momentum: 0.9f), new SparseCategoricalCrossentropy(), ["accuracy"]);
        return model;
    }

    [Fact]
    public void LeavesItsMembersAsTheyWere()
    {
        Model[] members = [Trained(1), Trained(2)];
        var before = members.Select(m => m.Weights.ToArray()).ToArray();
        var ensemble = Ensemble.Combine(members);
        ensemble.Weights.Fill(0f);
        Assert.Equal(before[0], members[0].Weights.ToArray());
        Assert.Equal(before[1], members[1].Weights.ToArray());
    }

    [Fact]
    public void SavesAndLoadsAsAnyModel()
    {
        var ensemble = Ensemble.Combine([Trained(1), Trained(2)]);
        string path = _temp["ensemble.safetensors"];
        ensemble.Save(path, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        var loaded = Model.Load(path);
        var (x, _) = PersistenceTests.RandomImages(10, 4);
        Assert.Equal(ensemble.Predict(x).Data, loaded.Model.Predict(x).Data);
        Assert.Equal("j", loaded.ClassNames![9]);
    }

    /// <summary>Ensembles of deep networks have hundreds of layers (five ResNet-18s: 350): their files load.</summary>
    [Fact]
    public void AnEnsembleOfManyLayersLoads()
    {
        Model Deep(long seed) => new Sequential([new Flatten(inputShape: new Shape(2, 2, 1)), .. Enumerable.Range(0, 99).Select(_ => new Dense(4, Activation.Relu)), new Dense(3, Activation.Softmax)]) { Seed = seed };
        var ensemble = Ensemble.Combine([Deep(1), Deep(2), Deep(3)]);
        Assert.True(ensemble.Layers.Count > 300);
        string path = _temp["deep.safetensors"];
        ensemble.Save(path);
        var x = new Tensor(new Shape(2, 2, 2, 1), [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f]);
        Assert.Equal(ensemble.Predict(x).Data, Model.Load(path).Model.Predict(x).Data);
    }

    [Fact]
    public void RefusesFewerThanTwoMembersAndMembersOfDifferentShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ensemble.Combine([Trained(1)]));
        Assert.StartsWith("an ensemble needs at least two members; got 1", e.Message);
        var other = new Sequential(new Flatten(inputShape: new Shape(32, 32, 3)), new Dense(5, Activation.Softmax));
        e = Assert.Throws<ArgumentException>(() => Ensemble.Combine([Trained(1), other]));
        Assert.Matches(@"member 1 maps \(32, 32, 3\) to \(10,?\), member 2 \(32, 32, 3\) to \(5,?\)", e.Message);
    }
}
