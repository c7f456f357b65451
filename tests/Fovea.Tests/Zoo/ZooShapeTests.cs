using Fovea.Data;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Zoo;

/// <summary>
/// Every zoo model is built for the dataset's shape and classes: grey 28x28 (Fashion-MNIST), 64x64 and non-square
/// RGB, two classes or a hundred, down to the smallest size its poolings allow; below that it refuses by name.
/// </summary>
public class ZooShapeTests
{
    public static TheoryData<string, int, int, int, int> Shapes()
    {
        var data = new TheoryData<string, int, int, int, int>();
        foreach (string name in ModelZoo.Names)
        {
            data.Add(name, 28, 28, 1, 10);
            data.Add(name, 64, 64, 3, 2);
            data.Add(name, 64, 48, 3, 100);
        }
        data.Add("tutorial", 10, 10, 1, 3);
        data.Add("airbench94", 25, 25, 3, 3);
        data.Add("resnet9", 8, 8, 1, 3);
        return data;
    }

    /// <summary>Random images, labels below <paramref name="classes"/>.</summary>
    private static (ImageSet Images, int[] Labels) Random(int count, int height, int width, int channels, int classes)
    {
        var rng = new Rng(17);
        var pixels = new byte[count * height * width * channels];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var labels = Enumerable.Range(0, count).Select(_ => rng.NextInt(classes)).ToArray();
        return (new ImageSet(pixels, count, height, width, channels), labels);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Builds_prepares_and_trains_a_step_for_the_shape(string name, int height, int width, int channels, int classes)
    {
        var zoo = ModelZoo.Get(name);
        var model = zoo.Create(new Shape(height, width, channels), classes, 3);
        var (images, labels) = Random(8, height, width, channels, classes);
        zoo.Prepare(model, images);
        model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy(), ["accuracy"]);
        var history = model.Fit(images, labels, batchSize: 4, epochs: 1);
        Assert.Equal(new Shape(height, width, channels), model.InputShape);
        Assert.Equal(classes, model.OutputShape[^1]);
        Assert.True(double.IsFinite(history["loss"][0]), $"{name} on {height}x{width}x{channels}: loss {history["loss"][0]}");
        float[] probabilities = model.Predict(images, batchSize: 8).Data;
        Assert.Equal(8 * classes, probabilities.Length);
        for (int i = 0; i < 8; i++) Assert.Equal(1, probabilities.AsSpan(i * classes, classes).ToArray().Sum(), 3);
    }

    [Theory]
    [InlineData("tutorial", 9, 32, "the tutorial CNN needs images of at least 10x10 pixels")]
    [InlineData("tutorial", 32, 9, "the tutorial CNN needs images of at least 10x10 pixels")]
    [InlineData("airbench94", 24, 24, "airbench94 needs images of at least 25x25 pixels")]
    [InlineData("airbench94", 64, 20, "airbench94 needs images of at least 25x25 pixels")]
    [InlineData("resnet9", 7, 7, "resnet9 needs images of at least 8x8 pixels")]
    public void A_shape_too_small_is_refused_by_name(string name, int height, int width, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ModelZoo.Get(name).Create(new Shape(height, width, 3), 10, 0));
        Assert.StartsWith(message, e.Message);
        Assert.Contains($"got ({height}, {width}, 3)", e.Message);
    }

    [Theory]
    [InlineData("tutorial", "the tutorial CNN needs at least one class; got 0")]
    [InlineData("airbench94", "airbench94 needs at least one class; got 0")]
    [InlineData("resnet9", "resnet9 needs at least one class; got 0")]
    public void No_classes_is_refused_by_name(string name, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ModelZoo.Get(name).Create(new Shape(32, 32, 3), 0, 0));
        Assert.StartsWith(message, e.Message);
    }
}
