using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class GlobalAveragePoolTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 9, 5)]
    [InlineData(2, 225, 17)]
    [InlineData(7, 49, 24)]
    [InlineData(5, 9, 64)]
    [InlineData(2, 4, 257)]
    public void Matches_reference_on_odd_shapes(int batch, int positions, int channels)
    {
        Assert.True(NormKernelChecks.CheckGlobalAveragePool(batch, positions, channels, new Random(batch * positions + channels), out string detail), detail);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        float[] x = new float[12], y = new float[4];
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => GlobalAveragePool.Forward(y, x, 2, 0, 2));
        Assert.Equal("positions", e1.ParamName);
        var e2 = Assert.Throws<ArgumentException>(() => GlobalAveragePool.Forward(y, x, 2, 4, 2));
        Assert.Equal("x", e2.ParamName);
        Assert.Contains("got 12", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => GlobalAveragePool.Backward(x, x.AsSpan(0, 4), 2, 3, 2));
        Assert.Equal("dx", e3.ParamName);
    }
}
