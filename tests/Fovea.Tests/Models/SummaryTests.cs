using Fovea.Zoo;
using Fovea.Models;

namespace Fovea.Tests.Models;

public class SummaryTests
{
    [Fact]
    public void TutorialModelHasTheKerasParameterCounts()
    {
        var model = ModelZoo.SeedCnn();
        model.Build();
        Assert.Equal([896L, 0, 18_496, 0, 0, 147_520, 650], model.Layers.Select(l => l.ParameterCount));
        Assert.Equal(167_562, model.ParameterCount);
        Assert.Equal(["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"], model.Layers.Select(l => l.Name));
    }

    [Fact]
    public void SummaryPrintsTheKerasTable()
    {
        string text = ModelZoo.SeedCnn().SummaryText();
        // Columns widen to fit "max_pooling2d_1 (MaxPooling2D)" where Keras 2 would cut it; the rows are otherwise Keras's.
        string[] rows =
        [
            @"conv2d \(Conv2D\) +\(None, 30, 30, 32\) +896",
            @"max_pooling2d \(MaxPooling2D\) +\(None, 15, 15, 32\) +0",
            @"conv2d_1 \(Conv2D\) +\(None, 13, 13, 64\) +18,496",
            @"max_pooling2d_1 \(MaxPooling2D\) +\(None, 6, 6, 64\) +0",
            @"flatten \(Flatten\) +\(None, 2304\) +0",
            @"dense \(Dense\) +\(None, 64\) +147,520",
            @"dense_1 \(Dense\) +\(None, 10\) +650",
        ];
        foreach (var row in rows) Assert.Matches(row, text);
        Assert.StartsWith("Model: \"sequential\"", text);
        Assert.Contains("Total params: 167,562", text);
        Assert.Contains("Trainable params: 167,562", text);
        Assert.Contains("Non-trainable params: 0", text);
    }

    [Fact]
    public void LayerConfigurationErrorsNameTheArgument()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Fovea.Layers.Conv2D(0, 3));
        Assert.Contains("filters must be positive; got 0", e.Message);
        var d = Assert.Throws<ArgumentOutOfRangeException>(() => new Fovea.Layers.Dense(-2));
        Assert.Contains("units must be positive; got -2", d.Message);
        var model = new Sequential(new Fovea.Layers.Dense(4, inputShape: (3, 3, 1)));
        var b = Assert.Throws<ArgumentException>(() => model.Build());
        Assert.Contains("add a Flatten layer", b.Message);
    }

    [Fact]
    public void CompileRefusesAnOutputThatIsNotAVectorOfClasses()
    {
        var model = new Sequential(new Fovea.Layers.Conv2D(10, 3, inputShape: (8, 8, 3)), new Fovea.Layers.Softmax());
        var e = Assert.Throws<ArgumentException>(() => model.Compile(new Fovea.Optimizers.Adam(), new Fovea.Losses.SparseCategoricalCrossentropy()));
        Assert.Contains("needs an output of shape (classes,)", e.Message);
    }
}
