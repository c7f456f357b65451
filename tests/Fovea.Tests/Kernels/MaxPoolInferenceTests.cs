using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Inference's max-pool (<see cref="MaxPool.PoolImageMax"/>) against the training pool's values, bit for bit: NaNs
/// and signed zeros anywhere, channel counts that leave 512-bit, narrower-vector and scalar tails, and output rows
/// pooled in bands.
/// </summary>
public class MaxPoolInferenceTests
{
    [Theory]
    [InlineData(114, 114, 64, 3, 3, 2, 2)]   // ResNet-18's stem pool after its padding
    [InlineData(9, 7, 29, 3, 3, 2, 2)]       // 16 + 8 + 5 channels
    [InlineData(8, 9, 13, 2, 2, 2, 2)]
    [InlineData(7, 6, 3, 3, 2, 1, 1)]
    [InlineData(5, 5, 48, 3, 3, 1, 1)]       // overlapping windows
    public void Matches_the_training_pool_bit_for_bit(int h, int w, int c, int ph, int pw, int sh, int sw)
    {
        var rng = new Rng(5);
        var input = new float[h * w * c];
        for (int i = 0; i < input.Length; i++)
            input[i] = rng.NextInt(40) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, 3 => float.NegativeInfinity, int v => v % 5 - 2 };
        int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
        var expected = new float[oh * ow * c];
        MaxPool.PoolImage(expected, new int[expected.Length], input, h, w, c, ph, pw, sh, sw, oh, ow);
        var whole = new float[expected.Length];
        MaxPool.PoolImageMax(whole, input, w, c, ph, pw, sh, sw, oh, ow);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), whole.Select(BitConverter.SingleToInt32Bits));
        var banded = new float[expected.Length];
        int bands = Math.Min(oh, 3);
        for (int b = 0; b < bands; b++)
            MaxPool.PoolImageMax(banded, input, w, c, ph, pw, sh, sw, oh, ow, oh * b / bands, oh * (b + 1) / bands);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), banded.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Rows_past_the_input_are_refused()
    {
        var input = new float[5 * 5 * 2];
        var output = new float[2 * 2 * 2];
        Assert.Throws<ArgumentException>(() => MaxPool.PoolImageMax(output, input, 5, 2, 3, 3, 2, 2, 3, 2));
    }
}
