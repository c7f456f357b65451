using Fovea.Explain;
using Fovea.Layers;
using Fovea.Models;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Explain;

/// <summary>
/// Grad-CAM's gradient against finite differences of the part of the model after the chosen layer, run as a model
/// of its own with the same weights; and the model left exactly as it was.
/// </summary>
public class GradCamGradientTests
{
    private static Tensor RandomImages(Shape sample, int count, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(sample.WithBatch(count));
        for (int i = 0; i < t.Length; i++) t.Data[i] = rng.NextSingle();
        return t;
    }

    /// <summary>Copies every weight of <paramref name="tail"/> from the layer of the same name in <paramref name="model"/>.</summary>
    private static void CopyWeights(Model model, Model tail)
    {
        var source = model.AllWeights.ToDictionary(p => p.Path);
        foreach (var p in tail.AllWeights) source[p.Path].Value.CopyTo(p.Value);
    }

    /// <summary>d(logit c)/dA by central differences: every element of A perturbed, one batch through the tail.</summary>
    private static float[] FiniteDifference(Model tail, float[] a, int c, float eps)
    {
        int size = a.Length, classes = tail.OutputShape[0];
        var batch = new Tensor(tail.InputShape.WithBatch(2 * size));
        for (int e = 0; e < size; e++)
        {
            a.CopyTo(batch.Data, 2 * e * size);
            a.CopyTo(batch.Data, (2 * e + 1) * size);
            batch.Data[2 * e * size + e] += eps;
            batch.Data[(2 * e + 1) * size + e] -= eps;
        }
        var logits = tail.Predict(batch, batchSize: 256).Data;
        var grad = new float[size];
        for (int e = 0; e < size; e++) grad[e] = (logits[2 * e * classes + c] - logits[(2 * e + 1) * classes + c]) / (2 * eps);
        return grad;
    }

    /// <summary>The Grad-CAM formula on a given gradient, in double: ReLU(Σ_k mean(g_k)·A_k) / max.</summary>
    private static double[] Formula(float[] a, float[] g, int pixels, int channels)
    {
        var alpha = new double[channels];
        for (int p = 0; p < pixels; p++)
            for (int k = 0; k < channels; k++) alpha[k] += g[p * channels + k] / (double)pixels;
        var map = new double[pixels];
        for (int p = 0; p < pixels; p++)
        {
            for (int k = 0; k < channels; k++) map[p] += alpha[k] * a[p * channels + k];
            map[p] = Math.Max(map[p], 0);
        }
        double max = map.Max();
        return max > 0 ? map.Select(v => v / max).ToArray() : map;
    }

    private static void AssertClose(float[] expected, float[] actual, double abs, double rel, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= abs + rel * Math.Abs(expected[i]),
                $"{what}[{i}]: finite differences {expected[i]}, backward {actual[i]}");
    }

    [Fact]
    public void TutorialMapMatchesFiniteDifferencesOfTheLayersAfterIt()
    {
        var model = TutorialCnn.Build(new Shape(20, 20, 3), 3, seed: 5);
        model.Build();
        var images = RandomImages(model.InputShape, 2, 1);
        var cam = GradCam.Compute(model, images);
        Assert.Equal("max_pooling2d_1", cam.Layer);
        var g = model.GradientOfScore(images, cam.Layer);
        var shape = g.Activations.Shape; // (2, 3, 3, 64)
        var tail = new Sequential(new Flatten(inputShape: shape.DropFirst()), new Dense(64, Activation.Relu, name: "dense"), new Dense(3, name: "dense_1"));
        tail.Build();
        CopyWeights(model, tail);
        int size = (int)shape.DropFirst().Size;
        for (int i = 0; i < 2; i++)
        {
            var a = g.Activations.Data.AsSpan(i * size, size).ToArray();
            var fd = FiniteDifference(tail, a, g.Classes[i], 1e-3f);
            AssertClose(fd, g.Gradients.Data.AsSpan(i * size, size).ToArray(), 2e-3, 1e-2, "dlogit/dA");
            var expected = Formula(a, fd, shape[1] * shape[2], shape[3]);
            for (int p = 0; p < expected.Length; p++)
                Assert.True(Math.Abs(expected[p] - cam.Maps.Data[i * expected.Length + p]) < 1e-2, $"map[{i}, {p}]: {expected[p]} vs {cam.Maps.Data[i * expected.Length + p]}");
        }
    }

    [Fact]
    public void ResidualBatchNormGradientMatchesFiniteDifferences()
    {
        var input = new Input(new Shape(6, 6, 3));
        var a = new Conv2D(4, 3, Activation.Relu, Padding.Same, name: "conv").Call(input);
        var x = new BatchNormalization(name: "bn").Call(a);
        x = new ReLU().Call(x);
        x = new Add().Call(x, a);
        x = new GlobalAveragePooling2D().Call(x);
        x = new Dense(3, name: "dense").Call(x);
        var model = new Model(input, new Softmax().Call(x)) { Seed = 3 };
        model.Build();
        var rng = new Random(2);
        foreach (var p in model.AllWeights.Where(p => p.Layer.Name == "bn"))
            for (int i = 0; i < p.Length; i++) p.Value[i] = p.Name == "moving_variance" ? 0.5f + rng.NextSingle() : rng.NextSingle() - 0.3f;

        var images = RandomImages(model.InputShape, 3, 4);
        var g = model.GradientOfScore(images, "conv", classIndex: 1);
        var tailInput = new Input(new Shape(6, 6, 4));
        var t = new BatchNormalization(name: "bn").Call(tailInput);
        t = new ReLU().Call(t);
        t = new Add().Call(t, tailInput);
        t = new GlobalAveragePooling2D().Call(t);
        var tail = new Model(tailInput, new Dense(3, name: "dense").Call(t));
        tail.Build();
        CopyWeights(model, tail);
        int size = 6 * 6 * 4;
        for (int i = 0; i < 3; i++)
        {
            var fd = FiniteDifference(tail, g.Activations.Data.AsSpan(i * size, size).ToArray(), 1, 1e-3f);
            AssertClose(fd, g.Gradients.Data.AsSpan(i * size, size).ToArray(), 1e-3, 1e-2, "dlogit/dA");
        }
    }

    [Fact]
    public void WeightsStateAndGradientsAreUnchangedBitForBit()
    {
        var model = ResNet9.Build(new Shape(16, 16, 3), 4, seed: 7, width: 8);
        model.Compile(new Fovea.Optimizers.Sgd(0.01f), new Fovea.Losses.SparseCategoricalCrossentropy());
        var images = RandomImages(model.InputShape, 3, 9);
        var labels = new[] { 0, 1, 2 };
        model.Fit(images, labels, batchSize: 3, epochs: 1, verbose: 0);
        var weights = model.Weights.ToArray();
        var gradients = (float[])model.GradientBlock.Clone();
        var before = model.Predict(images).Data;
        var cam = GradCam.Compute(model, images);
        Assert.Equal(weights, model.Weights.ToArray());
        Assert.Equal(gradients, model.GradientBlock);
        Assert.Equal(before, model.Predict(images).Data);
        // Layer by layer, without the inference fusions (BatchNorm folded into the convolution): the same to rounding.
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], cam.Probabilities.Data[i], 1e-5f);
        Assert.All(cam.Upsampled.Data, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(new Shape(3, 16, 16), cam.Upsampled.Shape);
    }

    [Fact]
    public void ACalibratedModelReportsItsTemperedProbabilitiesAndTheSameMaps()
    {
        var model = ResNet9.Build(new Shape(16, 16, 3), 4, seed: 7, width: 8);
        var images = RandomImages(model.InputShape, 3, 9);
        var plain = GradCam.Compute(model, images);
        model.Temperature = 2.5;
        var tempered = GradCam.Compute(model, images);
        Assert.Equal(model.Predict(images).Data, tempered.Probabilities.Data);
        Assert.NotEqual(plain.Probabilities.Data, tempered.Probabilities.Data);
        Assert.Equal(plain.Classes, tempered.Classes);
        Assert.Equal(plain.Maps.Data, tempered.Maps.Data);
    }

    [Fact]
    public void AirbenchAndResNet9MapsCoverTheLayerAndThePicture()
    {
        foreach (var model in new Model[] { ResNet9.Build(new Shape(32, 32, 3), 10, 1, width: 8), Airbench94.Build(new Shape(32, 32, 3), 10, 1, 8, 16, 16) })
        {
            var cam = GradCam.Compute(model, RandomImages(model.InputShape, 2, 3));
            Assert.Equal(3, cam.Maps.Shape.Rank);
            Assert.Equal(new Shape(2, 32, 32), cam.Upsampled.Shape);
            Assert.All(cam.Maps.Data, v => Assert.InRange(v, 0f, 1f));
            Assert.Contains(cam.Layer, GradCam.ConvolutionalLayers(model));
        }
    }

    [Fact]
    public void BadLayerOrClassIsAOneLineUsageError()
    {
        var model = TutorialCnn.Build(new Shape(20, 20, 3), 3, seed: 5);
        var images = RandomImages(model.InputShape, 1, 1);
        var unknown = Assert.Throws<FoveaUsageException>(() => GradCam.Compute(model, images, layer: "nope"));
        Assert.Contains("no layer 'nope'", unknown.Message);
        var dense = Assert.Throws<FoveaUsageException>(() => GradCam.Compute(model, images, layer: "dense"));
        Assert.Contains("not convolutional", dense.Message);
        Assert.Throws<FoveaUsageException>(() => GradCam.Compute(model, images, classIndex: 3));
        Assert.DoesNotContain('\n', unknown.Message + dense.Message);
    }
}
