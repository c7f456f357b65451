using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Optimizers.Schedules;

namespace Fovea.Tests.Optimizers;

/// <summary>Each optimiser's arithmetic against a hand computation in double, on spans long enough for every vector path and its tail.</summary>
public class OptimizerTests
{
    private static (float[] W, float[] G) Values(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var w = new float[n];
        var g = new float[n];
        for (int i = 0; i < n; i++) (w[i], g[i]) = (2 * rng.NextSingle() - 1, 2 * rng.NextSingle() - 1);
        return (w, g);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SgdFollowsPyTorchsUpdate(bool nesterov)
    {
        const int n = 37;
        const float lr = 0.1f, mu = 0.85f, wd = 0.01f;
        var (w, g) = Values(n, 1);
        var sgd = new Sgd(lr, mu, nesterov, wd);
        sgd.Initialize(n);
        var expected = w.Select(v => (double)v).ToArray();
        var buffer = new double[n];
        for (int step = 0; step < 3; step++)
        {
            sgd.Step(w, g);
            for (int i = 0; i < n; i++)
            {
                double grad = g[i] + wd * expected[i];
                buffer[i] = mu * buffer[i] + grad;
                expected[i] -= lr * (nesterov ? grad + mu * buffer[i] : buffer[i]);
            }
        }
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], w[i], 5);
        Assert.Equal(3, sgd.Iterations);
    }

    [Fact]
    public void AdamFollowsKerasUpdate()
    {
        const int n = 41;
        var (w, g) = Values(n, 2);
        var adam = new Adam(0.01f);
        adam.Initialize(n);
        var expected = w.Select(v => (double)v).ToArray();
        var m = new double[n];
        var v = new double[n];
        for (int t = 1; t <= 3; t++)
        {
            adam.Step(w, g);
            double lr = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < n; i++)
            {
                m[i] += (g[i] - m[i]) * 0.1;
                v[i] += (g[i] * (double)g[i] - v[i]) * 0.001;
                expected[i] -= lr * m[i] / (Math.Sqrt(v[i]) + 1e-7);
            }
        }
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], w[i], 5);
    }

    [Fact]
    public void AdamWDecaysWeightsApartFromTheGradient()
    {
        var (w, _) = Values(20, 3);
        var before = w.ToArray();
        var adamw = new AdamW(0.1f, weightDecay: 0.5f);
        adamw.Initialize(20);
        adamw.Step(w, new float[20]);
        // With a zero gradient Adam's step is zero: only the decay w ← w·(1 − lr·wd) remains.
        for (int i = 0; i < 20; i++) Assert.Equal(before[i] * 0.95f, w[i], 6);
    }

    [Fact]
    public void GroupsScaleTheLearningRateAndStopWhenTold()
    {
        var model = new Sequential(new Dense(3, inputShape: new Shape(2)), new BatchNormalization(), new Dense(2, Activation.Softmax));
        var sgd = new Sgd(0.1f)
        {
            Groups =
            {
                new ParameterGroup(p => p.Layer is BatchNormalization && p.Name == "beta", LearningRateScale: 10),
                new ParameterGroup(p => p.Path == "dense/kernel", StopAfterStep: 1),
            },
        };
        model.Compile(sgd, new SparseCategoricalCrossentropy());
        var beta = model.Layers[1].Weights.Single(p => p.Name == "beta");
        var bias = model.Layers[2].Weights.Single(p => p.Name == "bias");
        var kernel = model.Layers[0].Weights.Single(p => p.Name == "kernel");
        var g = new float[model.GradientBlock.Length];
        g.AsSpan().Fill(1f);
        float beta0 = beta.Value[0], bias0 = bias.Value[0];
        sgd.Step(model.Weights, g);
        Assert.Equal(beta0 - 1f, beta.Value[0], 5);
        Assert.Equal(bias0 - 0.1f, bias.Value[0], 5);
        var kernelAfterOne = kernel.Value.ToArray();
        sgd.Step(model.Weights, g);
        Assert.Equal(kernelAfterOne, kernel.Value.ToArray());
        // Moving statistics are not the optimiser's: they stay where BatchNorm put them.
        Assert.Equal(1f, model.Layers[1].Weights.Single(p => p.Name == "moving_variance").Value[0]);
    }

    [Fact]
    public void LookaheadPullsTheFastWeightsBackEverySyncPeriod()
    {
        var w = new float[] { 0f, 0f };
        var inner = new Sgd(1f);
        var look = new Lookahead(inner, syncPeriod: 2, decay: new Constant(0.5));
        look.Initialize(2);
        var g = new float[] { -1f, 2f };
        look.Step(w, g); // fast: 1, −2 ; slow 0, 0
        Assert.Equal([1f, -2f], w);
        look.Step(w, g); // fast: 2, −4 → slow 0 + (2 − 0)·0.5 = 1, −2, fast ← slow
        Assert.Equal([1f, -2f], w);
        look.Step(w, g);
        look.EndTraining(w);
        Assert.Equal([1f, -2f], w);
    }

    [Fact]
    public void ExponentialMovingAverageKeepsTheAverageForTheEnd()
    {
        var w = new float[] { 0f, 4f };
        var ema = new ExponentialMovingAverage(new Sgd(1f), momentum: 0.5f);
        ema.Initialize(2);
        var g = new float[] { -2f, 2f };
        ema.Step(w, g); // weights 2, 2; average (0, 4)·0.5 + (2, 2)·0.5 = 1, 3
        Assert.Equal([2f, 2f], w);
        ema.Step(w, g); // weights 4, 0; average (1, 3)·0.5 + (4, 0)·0.5 = 2.5, 1.5
        Assert.Equal([4f, 0f], w);
        Assert.Equal([2.5f, 1.5f], ema.GetSlots()["ema"]);
        Assert.Equal(2, ema.Iterations);
        ema.EndTraining(w);
        Assert.Equal([2.5f, 1.5f], w);

        // A restored copy continues the same average.
        var restored = new ExponentialMovingAverage(new Sgd(1f), momentum: 0.5f);
        restored.Initialize(2);
        restored.Restore(2, new Dictionary<string, float[]> { ["ema"] = [2.5f, 1.5f] });
        var w2 = new float[] { 4f, 0f };
        restored.Step(w2, g);   // weights 6, −2; average 4.25, −0.25
        restored.EndTraining(w2);
        Assert.Equal([4.25f, -0.25f], w2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(new Sgd(1f), momentum: 1f));
        Assert.Equal("ema_sgd", ema.Name);
    }

    [Fact]
    public void SchedulesMatchTheirDefinitions()
    {
        var airbench = new PiecewiseLinear((0, 0.2), (100, 1.0), (400, 0.07));
        Assert.Equal(0.2, airbench.At(0), 12);
        Assert.Equal(0.6, airbench.At(50), 12);
        Assert.Equal(1.0 * (1 - 100.0 / 300) + 0.07 * (100.0 / 300), airbench.At(200), 12);
        Assert.Equal(0.07, airbench.At(1000), 12);
        var cosine = new CosineDecay(1.0, 100, alpha: 0.1);
        Assert.Equal(1.0, cosine.At(0), 12);
        Assert.Equal(0.55, cosine.At(50), 12);
        Assert.Equal(0.1, cosine.At(100), 12);
        var warm = new CosineDecay(0.0, 100, warmupTarget: 2.0, warmupSteps: 10);
        Assert.Equal(1.0, warm.At(5), 12);
        Assert.Equal(2.0, warm.At(10), 12);
        var cycle = new OneCycle(1.0, 100, pctStart: 0.3);
        Assert.Equal(0.04, cycle.At(0), 12);
        Assert.Equal(1.0, cycle.At(29), 12);
        Assert.Equal(0.04 / 1e4, cycle.At(99), 12);
        Assert.Equal(0.95 * 0.125, new PowerRamp(0.95, 100, 3).At(50), 12);
        Assert.Throws<ArgumentException>(() => new PiecewiseLinear((5, 1.0), (5, 2.0)));
    }

    [Fact]
    public void ScheduledLearningRateIsReadAtEachStep()
    {
        var sgd = new Sgd(new PiecewiseLinear((0, 1.0), (1, 0.5)));
        sgd.Initialize(1);
        var w = new float[] { 0f };
        sgd.Step(w, [1f]);
        sgd.Step(w, [1f]);
        Assert.Equal(-1.5f, w[0], 6);
        Assert.Throws<InvalidOperationException>(() => sgd.LearningRate = 0.1f);
    }
}
