using Fovea.Evaluation;
using Fovea.IO;
using Fovea.Kernels;
using Fovea.Layers;
using Fovea.Models;
using Fovea.Tests.Data;
using Fovea.Tests.Onnx;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// <see cref="Model.Temperature"/>: Predict divides the logits by it before the final softmax (a Dense's softmax, a
/// Softmax layer, or the output of a model without one), the model file keeps it, a file without it predicts as
/// before, and the predicted class (so the accuracy) never changes.
/// </summary>
public class TemperatureTests : IDisposable
{
    private const int Count = 40;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Tensor Pictures(int height = 32, int width = 32, long seed = 1)
    {
        var (_, pixels) = OnnxModels.Pictures(Count, height, width, 3, seed);
        return new Tensor(new Shape(Count, height, width, 3), pixels);
    }

    private static Model TrainedTutorial()
    {
        var model = ModelZoo.SeedCnn(seed: 3);
        OnnxModels.TrainFewSteps(model, Pictures().Data, steps: 3, batch: 16, seed: 1);
        return model;
    }

    /// <summary>softmax(z / T) as Predict computes it: a float division, then the engine's softmax.</summary>
    private static float[] ScaledSoftmax(float[] logits, int classes, float temperature)
    {
        var scaled = logits.Select(z => z / temperature).ToArray();
        var p = new float[scaled.Length];
        ActivationKernels.Softmax(p, scaled, scaled.Length / classes, classes);
        return p;
    }

    [Fact]
    public void PredictDividesTheLogitsOfTheFinalDenseSoftmax()
    {
        var model = TrainedTutorial();
        var x = Pictures(seed: 2);
        float[] plain = model.Predict(x).Data;
        float[] logits = model.PredictLogits(x).Data;
        Assert.Equal(plain, ScaledSoftmax(logits, 10, 1f));

        model.Temperature = 1.7;
        float[] scaled = model.Predict(x).Data;
        Assert.Equal(ScaledSoftmax(logits, 10, 1.7f), scaled);
        Assert.Equal(logits, model.PredictLogits(x).Data); // the logits ignore the temperature
        Assert.Equal(MostConfused.Predictions(plain, 10), MostConfused.Predictions(scaled, 10));
        Assert.True(scaled.Chunk(10).Average(r => r.Max()) < plain.Chunk(10).Average(r => r.Max()), "T > 1 must soften");

        model.Temperature = null;
        Assert.Equal(plain, model.Predict(x).Data);
    }

    [Fact]
    public void PredictDividesTheInputOfAFinalSoftmaxLayerAndWorksWithTestTimeAugmentation()
    {
        var model = new Sequential([new Conv2D(4, (3, 3), activation: Activation.Relu, inputShape: new Shape(8, 8, 3)), new Flatten(), new Dense(5), new Softmax()]) { Seed = 2 };
        var x = Pictures(8, 8, seed: 3);
        foreach (var tta in new[] { TestTimeAugmentation.None, TestTimeAugmentation.MirrorTranslate })
        {
            model.Temperature = null;
            float[] logits = model.PredictLogits(x, tta: tta).Data;
            model.Temperature = 0.6;
            Assert.Equal(ScaledSoftmax(logits, 5, 0.6f), model.Predict(x, tta: tta).Data);
        }
    }

    [Fact]
    public void AModelWithoutAFinalSoftmaxHasItsOutputsDivided()
    {
        var model = new Sequential([new Flatten(inputShape: new Shape(8, 8, 3)), new Dense(4)]) { Seed = 4 };
        var x = Pictures(8, 8, seed: 4);
        float[] outputs = model.Predict(x).Data;
        Assert.Equal(outputs, model.PredictLogits(x).Data);
        model.Temperature = 2;
        Assert.Equal(outputs.Select(v => v / 2f).ToArray(), model.Predict(x).Data);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void ATemperatureMustBePositiveAndFinite(double t)
    {
        var model = ModelZoo.SeedCnn(seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Temperature = t);
        Assert.Null(model.Temperature);
    }

    [Fact]
    public void TheModelFileKeepsTheTemperatureAndAFileWithoutOnePredictsAsBefore()
    {
        var model = TrainedTutorial();
        var x = Pictures(seed: 5);
        string plainPath = _temp["plain.safetensors"], calibratedPath = _temp["calibrated.safetensors"];
        model.Save(plainPath);
        float[] plain = model.Predict(x).Data;
        model.Temperature = 1.2345678901234567;
        model.Save(calibratedPath);
        float[] scaled = model.Predict(x).Data;

        var loadedPlain = Model.Load(plainPath).Model;
        Assert.Null(loadedPlain.Temperature);
        Assert.False(SafeTensors.Read(plainPath).Metadata.ContainsKey("temperature"));
        Assert.Equal(plain, loadedPlain.Predict(x).Data);
        var loaded = Model.Load(calibratedPath).Model;
        Assert.Equal(1.2345678901234567, loaded.Temperature);
        Assert.Equal(scaled, loaded.Predict(x).Data);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("warm")]
    [InlineData("Infinity")]
    public void AMalformedTemperatureIsRefusedByName(string value)
    {
        var model = ModelZoo.SeedCnn(seed: 1);
        string path = _temp["bad.safetensors"];
        ModelFile.Save(model, path, extraMetadata: new Dictionary<string, string> { ["temperature"] = value });
        var e = Assert.Throws<InvalidDataFileException>(() => Model.Load(path));
        Assert.Contains("temperature", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CalibrateFitsTheTemperatureOnTheLogitsAndLeavesTheAccuracy()
    {
        var model = TrainedTutorial();
        var (images, _) = OnnxModels.Pictures(Count, 32, 32, 3, seed: 6);
        int[] y = Enumerable.Range(0, Count).Select(i => i * 7 % 10).ToArray();
        float[] logits = model.PredictLogits(images).Data;
        var before = new Trainer(model).Evaluate(images, y);
        int[] predicted = MostConfused.Predictions(model.Predict(images).Data, 10);

        var fit = Trainer.Of(model).Calibrate(images, y, batchSize: 16);
        Assert.Equal(TemperatureScaling.Fit(logits, 10, y), fit.Temperature);
        Assert.Equal(fit.Temperature, model.Temperature);
        Assert.NotEqual(1, fit.Temperature);
        Assert.Equal(Count, fit.Images);
        Assert.True(fit.LossAfter <= fit.LossBefore);
        Assert.Equal(predicted, MostConfused.Predictions(model.Predict(images).Data, 10));
        Assert.Equal(before, new Trainer(model).Evaluate(images, y));
        Assert.Equal(logits, model.PredictLogits(images).Data);
    }

    [Fact]
    public void CalibrateRefusesAnEmptySet()
    {
        var model = ModelZoo.SeedCnn(seed: 1);
        var empty = new Fovea.Data.ImageSet([], 0, 32, 32, 3);
        Assert.Throws<ArgumentException>(() => new Trainer(model).Calibrate(empty, []));
        Assert.Null(model.Temperature);
    }
}
