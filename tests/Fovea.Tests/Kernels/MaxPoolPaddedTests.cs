using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

/// <summary>
/// Inference's max-pool with an implicit border (<see cref="MaxPool.PoolImageMaxPadded"/>, <see cref="MaxPoolPass"/>)
/// against the pool of an explicitly padded copy, bit for bit: NaNs and signed zeros anywhere, a zero border against
/// −0, a border above every input, windows with a single real cell, asymmetric borders, and channel counts that leave
/// 512-bit, narrower-vector and scalar tails.
/// </summary>
public class MaxPoolPaddedTests
{
    [Theory]
    [InlineData(112, 112, 64, 3, 3, 2, 2, 1, 1, 1, 1, -1e30f)]   // ResNet-18's stem pool
    [InlineData(9, 7, 29, 3, 3, 2, 2, 2, 0, 1, 3, -1e30f)]
    [InlineData(8, 9, 13, 2, 2, 2, 2, 1, 0, 0, 1, 0f)]
    [InlineData(7, 6, 3, 3, 2, 1, 1, 0, 2, 2, 0, 0f)]
    [InlineData(1, 1, 19, 3, 3, 1, 1, 1, 1, 1, 1, 0f)]          // every window: one real cell
    [InlineData(5, 4, 24, 3, 3, 2, 1, 2, 2, 2, 2, 1.5f)]        // a border above most inputs
    public void Matches_the_pool_of_the_padded_copy_bit_for_bit(int h, int w, int c, int ph, int pw, int sh, int sw,
                                                                int top, int bottom, int left, int right, float fill)
    {
        var rng = new Rng(7);
        var input = new float[h * w * c];
        for (int i = 0; i < input.Length; i++)
            input[i] = rng.NextInt(30) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, 3 => float.NegativeInfinity, int v => v % 5 - 2 };
        int hp = h + top + bottom, wp = w + left + right;
        var padded = new float[hp * wp * c];
        Array.Fill(padded, fill);
        for (int y = 0; y < h; y++) input.AsSpan(y * w * c, w * c).CopyTo(padded.AsSpan(((y + top) * wp + left) * c));
        int oh = (hp - ph) / sh + 1, ow = (wp - pw) / sw + 1;
        var expected = new float[oh * ow * c];
        MaxPool.PoolImageMax(expected, padded, wp, c, ph, pw, sh, sw, oh, ow);

        var banded = new float[expected.Length];
        int bands = Math.Min(oh, 3);
        for (int b = 0; b < bands; b++)
            MaxPool.PoolImageMaxPadded(banded, input, h, w, c, ph, pw, sh, sw, oh, ow, top, left, fill, oh * b / bands, oh * (b + 1) / bands);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), banded.Select(BitConverter.SingleToInt32Bits));

        // Through the pass, two images into the second and third of a larger output.
        var pass = new MaxPoolPass(h, w, c, (ph, pw), (sh, sw), (top, bottom, left, right), fill);
        var two = input.Concat(input.Reverse()).ToArray();
        var output = new float[3 * expected.Length];
        pass.Infer(output, 1, two, 2);
        var second = new float[expected.Length];
        var reversed = input.Reverse().ToArray();
        Array.Fill(padded, fill);
        for (int y = 0; y < h; y++) reversed.AsSpan(y * w * c, w * c).CopyTo(padded.AsSpan(((y + top) * wp + left) * c));
        MaxPool.PoolImageMax(second, padded, wp, c, ph, pw, sh, sw, oh, ow);
        Assert.Equal(expected.Concat(second).Select(BitConverter.SingleToInt32Bits), output.Skip(expected.Length).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_bordered_pass_refuses_training()
    {
        var pass = new MaxPoolPass(4, 4, 2, (2, 2), (2, 2), (1, 1, 1, 1), 0f);
        Assert.Throws<InvalidOperationException>(() => pass.Forward(new float[18], new int[18], new float[32], 1));
    }
}
