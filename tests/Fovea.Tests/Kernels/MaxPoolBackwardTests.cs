using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

/// <summary>
/// The max-pool's backward pass for windows that do not overlap is a gather (every input element written once); it
/// must give the bits of the scatter it replaces (clear, then add each window's gradient at its argmax), for channel
/// counts that take the 16-wide steps, the narrower vectors and the scalar rest, and for sides the windows do not
/// cover (a 13-pixel side pooled by 2), with −0 and NaN gradients among the values.
/// </summary>
public class MaxPoolBackwardTests
{
    [Theory]
    [InlineData(8, 8, 32, 2)]
    [InlineData(13, 11, 48, 2)]
    [InlineData(9, 9, 20, 3)]
    [InlineData(6, 10, 3, 2)]
    [InlineData(30, 30, 32, 2)]
    [InlineData(31, 31, 64, 2)]
    [InlineData(15, 14, 40, 2)]
    public void The_gather_gives_the_scatters_bits(int h, int w, int c, int pool)
    {
        int oh = (h - pool) / pool + 1, ow = (w - pool) / pool + 1;
        var rng = new Rng(31);
        var input = new float[h * w * c];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextSingle() * 2 - 1;
        var pooled = new float[oh * ow * c];
        var argmax = new int[pooled.Length];
        MaxPool.PoolImage(pooled, argmax, input, h, w, c, pool, pool, pool, pool, oh, ow);
        var dOut = new float[pooled.Length];
        for (int i = 0; i < dOut.Length; i++) dOut[i] = i % 11 == 0 ? -0f : i % 37 == 0 ? float.NaN : rng.NextSingle() * 2 - 1;

        var scattered = new float[input.Length];
        for (int i = 0; i < dOut.Length; i++) scattered[argmax[i]] += dOut[i];
        var gathered = Enumerable.Repeat(123f, input.Length).ToArray();   // stale values it must overwrite
        MaxPool.UnpoolImage(gathered, dOut, argmax, h, w, c, pool, pool, pool, pool, oh, ow);
        Assert.Equal(scattered.Select(BitConverter.SingleToInt32Bits), gathered.Select(BitConverter.SingleToInt32Bits));
    }
}
