using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;
using GradientCheck = Fovea.Tests.Layers.GradientCheck;

namespace Fovea.Tests.Models;

[Collection(EngineSettingsCollection.Name)]
public class FunctionalModelTests
{
    /// <summary>
    /// A small residual network: the skip path makes one value feed two layers, whose gradients the model sums.
    /// <paramref name="smooth"/> puts GELU layers where the ReLUs are, for finite differences that no kink bends.
    /// </summary>
    private static Model Residual(long seed = 0, bool smooth = false)
    {
        var inputs = new Input((6, 6, 2));
        var activation = smooth ? Activation.Linear : Activation.Relu;
        var x = new Conv2D(4, 3, activation, Padding.Same).Call(inputs);
        if (smooth) x = new Gelu().Call(x);
        var y = new Conv2D(4, 3, activation, Padding.Same).Call(x);
        if (smooth) y = new Gelu().Call(y);
        y = new Conv2D(4, 1, padding: Padding.Same).Call(y);
        var sum = new Add().Call(x, y);
        var joined = new Concatenate().Call(sum, x);
        var pooled = new GlobalAveragePooling2D().Call(joined);
        var outputs = new Dense(3, Activation.Softmax).Call(pooled);
        return new Model(inputs, outputs, name: "tiny_resnet") { Seed = seed };
    }

    private static (float[] X, int[] Y) Batch(Model model, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[batch * model.InputShape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.NextInt((int)model.OutputShape.Size);
        return (x, y);
    }

    [Fact]
    public void WholeModelGradientMatchesFiniteDifferences()
    {
        // GELUs: a ReLU's kink within ±h of one of its 108 inputs a channel bends the differences of most weights before it.
        var model = Residual(seed: 5, smooth: true);
        model.Compile(new Sgd(0.1f), new SparseCategoricalCrossentropy());
        var (x, y) = Batch(model, 3, 9);
        model.LossAndGradients(x, y);
        var analytic = model.GradientBlock.ToArray();
        var w = model.WeightBlock;
        // Most of these gradients are near 0.01, so they are held to a relative tolerance, not an absolute one. The loss
        // is a float computation: at h = 1e-2 its rounding leaves the estimates ~1e-5 off, hence 1e-2 relative here.
        var numeric = new double[analytic.Length];
        for (int i = 0; i < analytic.Length; i++)
            numeric[i] = GradientCheck.CentralDifference(w, i, 1e-2f, () => model.LossAndGradients(x, y));
        GradientCheck.AssertClose("model gradient", numeric, analytic, rtol: 1e-2);
    }

    [Fact]
    public void AChainBuiltFunctionallyTrainsBitForBitLikeTheSequential()
    {
        var sequential = ModelZoo.SeedCnn(seed: 3);
        var inputs = new Input((32, 32, 3));
        var t = new Conv2D(32, (3, 3), Activation.Relu).Call(inputs);
        t = new MaxPool2D((2, 2)).Call(t);
        t = new Conv2D(64, (3, 3), Activation.Relu).Call(t);
        t = new MaxPool2D((2, 2)).Call(t);
        t = new Flatten().Call(t);
        t = new Dense(64, Activation.Relu).Call(t);
        t = new Dense(10, Activation.Softmax).Call(t);
        var functional = new Model(inputs, t) { Seed = 3 };
        foreach (var m in new Model[] { sequential, functional })
            m.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var (x, y) = Batch(sequential, 8, 4);
        for (int step = 0; step < 3; step++)
        {
            sequential.TrainOnBatch(x, y);
            functional.TrainOnBatch(x, y);
        }
        Assert.Equal(sequential.Weights.ToArray(), functional.Weights.ToArray());
    }

    [Fact]
    public void SummaryShowsInputsAndConnections()
    {
        string text = Residual().SummaryText();
        Assert.Contains("Connected to", text);
        Assert.Contains("input_layer (InputLayer)", text);
        Assert.Matches(@"add \(Add\)\s+\(None, 6, 6, 4\)\s+0\s+conv2d, conv2d_2", text);
        Assert.Matches(@"concatenate \(Concatenate\)\s+\(None, 6, 6, 8\)\s+0\s+add, conv2d", text);
    }

    [Fact]
    public void SavedFunctionalModelsPredictTheSame()
    {
        var model = Residual(seed: 2);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var (x, y) = Batch(model, 4, 1);
        model.TrainOnBatch(x, y);
        string path = Path.Combine(Path.GetTempPath(), $"fovea-functional-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path, ["a", "b", "c"]);
            var loaded = Model.Load(path);
            Assert.True(loaded.Model.IsFunctional);
            Assert.Equal(["a", "b", "c"], loaded.ClassNames);
            Assert.Equal(model.SummaryText().Replace("tiny_resnet", "x"), loaded.Model.SummaryText().Replace("tiny_resnet", "x"));
            var tensor = new Tensor(new Shape(4, 6, 6, 2), x);
            Assert.Equal(model.Predict(tensor).Data, loaded.Model.Predict(tensor).Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResidualModelLearnsASmallTask()
    {
        var model = Residual(seed: 1);
        model.Compile(new Adam(1e-2f), new SparseCategoricalCrossentropy());
        // Class = which quarter of the image is bright.
        var rng = new Rng(3);
        int n = 96;
        var pixels = new byte[n * 6 * 6 * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = rng.NextInt(3);
            for (int p = 0; p < 36; p++)
            {
                bool bright = (p % 6) / 2 == labels[i];
                pixels[(i * 36 + p) * 2] = (byte)(bright ? 200 + rng.NextInt(50) : rng.NextInt(60));
                pixels[(i * 36 + p) * 2 + 1] = (byte)rng.NextInt(255);
            }
        }
        var images = new ImageSet(pixels, n, 6, 6, 2);
        var history = model.Fit(images, labels, batchSize: 16, epochs: 15, verbose: 0);
        Assert.True(history.Epochs[^1].Accuracy > 0.9, $"accuracy {history.Epochs[^1].Accuracy}");
    }

    [Fact]
    public void GraphsRefuseMisuseByName()
    {
        var inputs = new Input((4, 4, 1));
        var conv = new Conv2D(2, 3);
        conv.Call(inputs);
        var e = Assert.Throws<InvalidOperationException>(() => conv.Call(inputs));
        Assert.Contains("has already been called", e.Message);
        var other = new Input((4, 4, 1), name: "other");
        var x = new Flatten().Call(other);
        var a = Assert.Throws<ArgumentException>(() => new Model(inputs, x));
        Assert.Contains("not among the model's inputs", a.Message);
        Assert.Throws<ArgumentException>(() => new Sequential(new Add()));
    }
}
