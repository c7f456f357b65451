using Fovea.Layers;

namespace Fovea.Tests.Layers;

public class MergeLayerGradientTests
{
    [Fact]
    public void AddGradients() => GradientCheck.Layer(new Add(), [new Shape(3, 2, 5), new Shape(3, 2, 5), new Shape(3, 2, 5)], batch: 3);

    [Fact]
    public void AverageGradients() => GradientCheck.Layer(new Average(), [new Shape(3, 2, 5), new Shape(3, 2, 5), new Shape(3, 2, 5)], batch: 3);

    [Fact]
    public void AverageIsTheMeanOfItsInputs()
    {
        var layer = new Average();
        layer.Build([new Shape(3), new Shape(3), new Shape(3)], new Rng(1));
        layer.Plan(1);
        var y = new float[3];
        layer.Forward(y, [new float[] { 1, 2, 3 }, new float[] { 4, 5, 6 }, new float[] { 1, -1, 0.5f }], 1, training: false);
        Assert.Equal([2, 2, 9.5f / 3], y);
    }

    [Fact]
    public void ConcatenateGradients() => GradientCheck.Layer(new Concatenate(), [new Shape(3, 2, 5), new Shape(3, 2, 1), new Shape(3, 2, 7)], batch: 2);

    [Fact]
    public void GlobalAveragePoolingGradients() => GradientCheck.Layer(new GlobalAveragePooling2D(), new Shape(3, 4, 5), batch: 3);

    [Fact]
    public void RescalingGradients() => GradientCheck.Layer(new Rescaling(0.25f, offset: 3f), new Shape(2, 3, 4), batch: 2);

    [Fact]
    public void NormalizationGradients() => GradientCheck.Layer(new Normalization([0.5f, -1f, 2f], [4f, 0.25f, 1f]), new Shape(2, 3, 3), batch: 2);

    [Fact]
    public void DropoutGradientsFollowItsMask() => GradientCheck.Layer(new Dropout(0.3f), new Shape(4, 3, 5), batch: 3);

    [Fact]
    public void ConcatenateJoinsChannelsPixelByPixel()
    {
        var layer = new Concatenate();
        layer.Build([new Shape(1, 2, 1), new Shape(1, 2, 2)], new Rng(1));
        layer.Plan(1);
        var y = new float[6];
        layer.Forward(y, [new float[] { 1, 2 }, new float[] { 10, 11, 20, 21 }], 1, training: false);
        Assert.Equal([1, 10, 11, 2, 20, 21], y);
    }

    [Fact]
    public void MergeLayersRefuseMismatchedShapesByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new Add().ComputeOutputShape([new Shape(2, 2, 3), new Shape(2, 2, 4)]));
        Assert.Contains("Add needs inputs of one shape; got (2, 2, 3) and (2, 2, 4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Concatenate().ComputeOutputShape([new Shape(2, 2, 3), new Shape(2, 3, 4)]));
        Assert.Contains("differ only in the last axis", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Average().ComputeOutputShape([new Shape(3), new Shape(4)]));
        Assert.Matches(@"^Average needs inputs of one shape; got \(3,?\) and \(4,?\)", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Add().ComputeOutputShape([new Shape(2, 2, 3)]));
        Assert.Contains("takes two or more inputs; got 1", e.Message);
    }

    [Fact]
    public void DropoutPassesValuesThroughAtInference()
    {
        var layer = new Dropout(0.5f);
        layer.Build(new Shape(4), new Rng(1));
        layer.Plan(2);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8], y = new float[8];
        layer.Forward(y, [x], 2, training: false);
        Assert.Equal(x, y);
        layer.Forward(y, [x], 2, training: true);
        Assert.All(y.Select((v, i) => (v, i)), p => Assert.True(p.v == 0 || p.v == 2 * x[p.i]));
    }
}
