using Fovea.Data;
using Fovea.IO;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Tests.Data;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

public class PersistenceTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static (ImageSet X, int[] Y) RandomImages(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        var pixels = new byte[count * 32 * 32 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.NextInt(10);
        return (new ImageSet(pixels, count, 32, 32, 3), labels);
    }

    private static Sequential TrainedModel()
    {
        var model = ModelZoo.SeedCnn(seed: 3);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy(), ["accuracy"]);
        var (x, y) = RandomImages(96, 1);
        model.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
        return model;
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalPredictions()
    {
        var model = TrainedModel();
        string[] names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        string path = _temp["model.safetensors"];
        model.Save(path, names);
        var loaded = Sequential.Load(path);
        Assert.Equal(names, loaded.ClassNames);
        Assert.Equal(model.SummaryText(), loaded.Model.SummaryText());
        var (x, _) = RandomImages(40, 2);
        Assert.Equal(model.Predict(x).Data, loaded.Model.Predict(x).Data);
        Assert.True(model.Weights.SequenceEqual(loaded.Model.Weights));
    }

    [Fact]
    public void AModelFileFromANewerFormatIsRefused()
    {
        var model = TrainedModel();
        var meta = ModelFile.Metadata(model, null);
        meta["format_version"] = "99";
        string path = _temp["new.safetensors"];
        SafeTensors.Write(path, ModelFile.WeightTensors(model).ToList(), meta);
        var e = Assert.Throws<InvalidDataFileException>(() => Sequential.Load(path));
        Assert.Contains("newer Fovea", e.Message);
    }

    [Fact]
    public void AWeightWithTheWrongShapeIsRefusedByName()
    {
        var model = TrainedModel();
        var tensors = ModelFile.WeightTensors(model)
            .Select(t => t.Name == "dense/bias" ? new NamedTensor(t.Name, new Shape(63), new float[63]) : t).ToList();
        string path = _temp["bad.safetensors"];
        SafeTensors.Write(path, tensors, ModelFile.Metadata(model, null));
        var e = Assert.Throws<InvalidDataFileException>(() => Sequential.Load(path));
        Assert.Contains("'dense/bias' must be F32(64,)", e.Message);
    }

    [Fact]
    public void AnUnknownLayerClassIsRefused()
    {
        var model = TrainedModel();
        var meta = ModelFile.Metadata(model, null);
        meta["architecture"] = meta["architecture"].Replace("\"Flatten\"", "\"Lambda\"", StringComparison.Ordinal);
        string path = _temp["lambda.safetensors"];
        SafeTensors.Write(path, ModelFile.WeightTensors(model).ToList(), meta);
        var e = Assert.Throws<InvalidDataFileException>(() => Sequential.Load(path));
        Assert.Contains("unknown layer class 'Lambda'", e.Message);
    }

    [Fact]
    public void ACheckpointForADifferentArchitectureIsRefused()
    {
        var model = TrainedModel();
        string path = _temp["checkpoint.safetensors"];
        Checkpoint.Save(path, model, null);
        var other = new Sequential(
            new Fovea.Layers.Flatten(inputShape: (32, 32, 3)),
            new Fovea.Layers.Dense(10, Fovea.Layers.Activation.Softmax)) { Seed = 3 };
        other.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var e = Assert.Throws<InvalidDataFileException>(() => Checkpoint.Load(path, other));
        Assert.Contains("different architecture", e.Message);
    }

    [Fact]
    public void ACheckpointRestoresWeightsOptimizerAndState()
    {
        var model = TrainedModel();
        string path = _temp["checkpoint.safetensors"];
        Checkpoint.Save(path, model, null, settingsJson: "{\"x\":1}");
        var fresh = ModelZoo.SeedCnn(seed: 3);
        fresh.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var (state, settings) = Checkpoint.Load(path, fresh);
        Assert.Equal("{\"x\":1}", settings);
        Assert.Equal(1, state.CompletedEpochs);
        Assert.Equal(model.State.History.Epochs.Single(), state.History.Epochs.Single());
        Assert.True(model.Weights.SequenceEqual(fresh.Weights));
        Assert.Equal(model.Optimizer!.Iterations, fresh.Optimizer!.Iterations);
        Assert.Equal(model.Optimizer.GetSlots()["v"], fresh.Optimizer.GetSlots()["v"]);
    }
}
