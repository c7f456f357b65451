using Fovea.Layers;
using Fovea.Models;
using Fovea.Optimizers.Schedules;
using Fovea.Zoo;

namespace Fovea.Tests.Zoo;

/// <summary>The fine-tuned classifier around a feature extractor, with a tiny stand-in for the ImageNet network.</summary>
public class PretrainedResNet18Tests
{
    /// <summary>A BGR extractor of the package's form: zero padding, a convolution, BatchNorm, ReLU, global pooling.</summary>
    private static Model Extractor(Shape shape)
    {
        var input = new Input(shape);
        var x = new ZeroPadding2D(1, 1, 1, 1).Call(input);
        x = new Conv2D(4, (3, 3), strides: (2, 2)).Call(x);
        x = new BatchNormalization().Call(x);
        x = new ReLU().Call(x);
        x = new GlobalAveragePooling2D().Call(x);
        var model = new Model(input, x) { Seed = 11 };
        model.Build();
        return model;
    }

    private static float[] Pixels(int count, Shape shape, int seed)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, count * (int)shape.Size).Select(_ => rng.NextSingle()).ToArray();
    }

    [Fact]
    public void RgbInUnitRangeGivesTheExtractorsFeaturesOfBgrBytesLessTheMeans()
    {
        var shape = new Shape(128, 128, 3);
        var extractor = Extractor(shape);
        var features = PretrainedResNet18.Build(extractor, shape, 0, seed: 1, bgr: true, head: false);
        Assert.Equal(shape, features.InputShape);
        var rgb = Pixels(2, shape, 3);
        var bgr = new float[rgb.Length];
        var means = PretrainedResNet18.ChannelMeansRgb;
        for (int p = 0; p < rgb.Length; p += 3)
            for (int c = 0; c < 3; c++) bgr[p + c] = rgb[p + 2 - c] * 255f - means[2 - c];
        var ours = features.Predict(new Tensor(shape.WithBatch(2), rgb)).Data;
        var theirs = extractor.Predict(new Tensor(shape.WithBatch(2), bgr)).Data;
        for (int i = 0; i < ours.Length; i++) Assert.Equal(theirs[i], ours[i], 1e-4f * Math.Max(1f, Math.Abs(theirs[i])));
    }

    [Fact]
    public void SmallGrayscalePicturesAreEnlargedAndFedToAllThreeChannels()
    {
        var entry = PretrainedResNet18.Entry(Extractor);
        var model = entry.Create(new Shape(32, 32, 1), 5, seed: 2);
        Assert.Equal(new Shape(5), model.OutputShape);
        Assert.Contains(model.Layers, l => l is Resizing { Height: PretrainedResNet18.MinImageSize });
        var probabilities = model.Predict(new Tensor(new Shape(2, 32, 32, 1), Pixels(2, new Shape(32, 32, 1), 4))).Data;
        Assert.Equal(2f, probabilities.Sum(), 1e-4f);
    }

    [Theory]
    [InlineData(32, 32, 128, 128)]
    [InlineData(96, 200, 128, 128)]
    [InlineData(128, 128, 128, 128)]
    [InlineData(176, 176, 192, 192)]
    [InlineData(224, 200, 224, 224)]
    [InlineData(150, 300, 160, 320)]
    public void TheBaseSeesSidesThatAreMultiplesOf32(int height, int width, int baseHeight, int baseWidth) =>
        Assert.Equal((baseHeight, baseWidth), PretrainedResNet18.BaseImageSize(new Shape(height, width, 3)));

    /// <summary>As many networks as five networks' work on 1,000 pictures of 128 px allows, from 1 to 5.</summary>
    [Theory]
    [InlineData(1_000, 32, 5)]
    [InlineData(300, 32, 5)]
    [InlineData(1_700, 32, 2)]
    [InlineData(2_500, 128, 2)]
    [InlineData(5_000, 32, 1)]
    [InlineData(50_000, 32, 1)]
    [InlineData(1_000, 224, 1)]
    [InlineData(1_000, 160, 3)]
    public void TheRecipesEnsembleFillsItsBudget(int pictures, int side, int networks)
    {
        Assert.Equal(networks, PretrainedResNet18.EnsembleFor(pictures, new Shape(side, side, 3)));
        Assert.Equal(networks, PretrainedResNet18.Recipe.Ensemble(pictures, new Shape(side, side, 3)));
    }

    [Fact]
    public void ThePhaseFollowsTheEpoch()
    {
        var entry = PretrainedResNet18.Entry(Extractor);
        var model = entry.Create(new Shape(32, 32, 3), 4, seed: 2);
        var phases = entry.Callbacks(model).OfType<FineTunePhases>().Single();
        phases.OnEpochBegin(1);
        Assert.All(model.Layers.Where(l => l.Name!.StartsWith("early_") || l.Name.StartsWith("late_")), l => Assert.False(l.Trainable));
        Assert.True(model.Layers.Single(l => l.Name == FineTuning.HeadName).Trainable);
        Assert.Equal(model.Layers.Where(l => l.Name!.StartsWith("head")).Sum(l => l.Weights.Where(p => p.Trainable).Sum(p => (long)p.Length)), model.TrainableParameterCount);
        phases.OnEpochBegin(2);
        // Everything trains but the base's BatchNorm, which keeps ImageNet's statistics in inference mode.
        Assert.All(model.Layers, l => Assert.Equal(!(l is BatchNormalization && !l.Name!.StartsWith("head")), l.Trainable));
        Assert.Contains(model.Layers, l => l is BatchNormalization && l.Name!.StartsWith("late_"));
        Assert.True(model.Layers.OfType<BatchNormalization>().Single(l => l.Name!.StartsWith("head")).Trainable);
    }

    [Fact]
    public void TheRecipeRunsTwoOneCyclesWithLowerRatesForTheBase()
    {
        var optimizer = PretrainedResNet18.Recipe.Optimizer(new Fovea.Training.RecipePlan(10, 3, 32, 2e-3f));
        var schedule = (ScheduleSequence)optimizer.Schedule!;
        // The head's cycle peaks near the end of its epoch; the second starts again low and peaks at half the rate.
        double first = Enumerable.Range(0, 10).Max(s => schedule.At(s)), second = Enumerable.Range(10, 20).Max(s => schedule.At(s));
        Assert.InRange(first, 1.9e-3, 2.0001e-3);
        Assert.InRange(second, 0.95e-3, 1.0001e-3);
        Assert.InRange(schedule.At(10), 1.9e-4, 2.1e-4);
        Assert.Equal(2, optimizer.Groups.Count);
        Assert.Equal([0.01f, 0.1f], optimizer.Groups.Select(g => g.LearningRateScale));
    }
}
