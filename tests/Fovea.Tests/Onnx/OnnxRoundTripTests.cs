using Fovea.Models;
using Fovea.Layers;
using Fovea.Onnx;
using Fovea.Zoo;
using Xunit.Abstractions;

namespace Fovea.Tests.Onnx;

/// <summary>Export then import: the zoo's models come back predicting what they predicted.</summary>
public class OnnxRoundTripTests(ITestOutputHelper output)
{
    private const int Images = 64;

    [Theory]
    [InlineData("tutorial", 3)]
    [InlineData("airbench94", 5)]
    [InlineData("resnet9", 7)]
    public void ZooModelsPredictTheSameAfterExportAndImport(string name, long seed)
    {
        var zoo = ModelZoo.Get(name);
        var model = zoo.Create(new Shape(32, 32, 3), 10, seed);
        var (images, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed);
        zoo.Prepare(model, images);
        OnnxModels.RandomizeVectors(model, seed);
        AssertSamePredictions(model, pixels);
    }

    [Fact]
    public void EnsemblePredictsTheSameAfterExportAndImport()
    {
        var ensemble = Ensemble.Combine([ModelZoo.SeedCnn(seed: 1), ModelZoo.SeedCnn(seed: 2), ModelZoo.SeedCnn(seed: 3)]);
        var (_, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 8);
        AssertSamePredictions(ensemble, pixels);
        Assert.IsType<Average>(OnnxImporter.Load(OnnxExporter.ToBytes(ensemble), "exported.onnx").Layers[^1]);
    }

    [Fact]
    public void HandmadeFunctionalModelPredictsTheSameAfterExportAndImport()
    {
        var model = OnnxExportTests.HandmadeModel();
        var (_, pixels) = OnnxModels.Pictures(Images, 19, 17, 3, seed: 4);
        AssertSamePredictions(model, pixels);
    }

    private void AssertSamePredictions(Model model, float[] pixels)
    {
        var imported = OnnxImporter.Load(OnnxExporter.ToBytes(model), "exported.onnx");
        Assert.Equal(model.InputShape, imported.InputShape);
        Assert.Equal(model.OutputShape, imported.OutputShape);
        // Not the parameter counts: a BatchNormalization exported without γ (airbench's) comes back with γ = 1, trainable.
        Assert.Equal(model.Layers.Count(l => l is Conv2D), imported.Layers.Count(l => l is Conv2D));
        var x = new Tensor(model.InputShape.WithBatch(pixels.Length / (int)model.InputShape.Size), pixels);
        var expected = model.Predict(x, batchSize: 32).Data;
        var actual = imported.Predict(x, batchSize: 32).Data;
        int classes = model.OutputShape[^1], identical = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            if (BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i])) identical++;
        }
        output.WriteLine($"{model.Name}: {identical} of {expected.Length} probabilities identical to the bit; max |difference| {maxDiff:G3}");
        for (int n = 0; n < expected.Length / classes; n++)
            Assert.Equal(OnnxModels.ArgMax(expected.AsSpan(n * classes, classes)), OnnxModels.ArgMax(actual.AsSpan(n * classes, classes)));
        Assert.True(maxDiff <= 1e-5, $"max |Δprobability| {maxDiff:G3}");
    }
}
