using Fovea.Layers;

namespace Fovea.Tests.Layers;

public class ResizingTests
{
    [Fact]
    public void BilinearWithHalfPixelCentresAsKerasResizes()
    {
        var layer = new Resizing(4, 4);
        layer.Build(new Shape(2, 2, 1), new Rng(1));
        layer.Plan(1);
        var y = new float[16];
        layer.Forward(y, [[0f, 1f, 2f, 3f]], 1, training: false);
        // Row 0 reads input row 0 (clamped), row 1 reads 3/4 of row 0 and 1/4 of row 1; likewise along columns.
        Assert.Equal([0f, 0.25f, 0.75f, 1f], y[..4]);
        Assert.Equal([0.5f, 0.75f, 1.25f, 1.5f], y[4..8]);
        Assert.Equal([2f, 2.25f, 2.75f, 3f], y[12..]);
    }

    [Fact]
    public void TheSameSizeIsTheIdentity()
    {
        var layer = new Resizing(3, 5);
        layer.Build(new Shape(3, 5, 2), new Rng(1));
        layer.Plan(2);
        var x = Enumerable.Range(0, 60).Select(i => i * 0.5f).ToArray();
        var y = new float[60];
        layer.Forward(y, [x], 2, training: false);
        Assert.Equal(x, y);
    }

    [Theory]
    [InlineData(3, 4, 7, 5)]
    [InlineData(6, 5, 4, 2)]
    public void GradientCheck_Resizing(int h, int w, int outH, int outW) =>
        GradientCheck.Layer(new Resizing(outH, outW), new Shape(h, w, 2), batch: 2);

    [Fact]
    public void RoundTripsThroughItsConfiguration()
    {
        var copy = (Resizing)LayerRegistry.Copy(new Resizing(7, 9, name: "resize"));
        Assert.Equal((7, 9, "resize"), (copy.Height, copy.Width, copy.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resizing(0, 3));
    }
}
