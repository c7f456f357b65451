using Fovea.Kernels;

namespace Fovea.Tests.Layers;

public class MaxPoolKernelTests
{
    [Theory]
    [InlineData(2, 2, 1, 2, 2, 2, 2)]
    [InlineData(5, 4, 3, 2, 2, 2, 2)]
    [InlineData(30, 30, 32, 2, 2, 2, 2)]
    [InlineData(13, 13, 64, 2, 2, 2, 2)]
    [InlineData(7, 9, 33, 3, 3, 2, 2)]
    [InlineData(7, 9, 17, 3, 2, 1, 1)]
    public void VectorisedPoolingMatchesTheReference(int h, int w, int c, int ph, int pw, int sh, int sw)
    {
        var rng = new Rng(42);
        // Few distinct values, so ties are common and the first-maximum rule is exercised.
        var input = new float[h * w * c];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextInt(5);
        int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
        var (o1, a1) = (new float[oh * ow * c], new int[oh * ow * c]);
        var (o2, a2) = (new float[oh * ow * c], new int[oh * ow * c]);
        MaxPool.PoolImage(o1, a1, input, h, w, c, ph, pw, sh, sw, oh, ow);
        MaxPool.PoolImageReference(o2, a2, input, h, w, c, ph, pw, sh, sw, oh, ow);
        Assert.Equal(o2, o1);
        Assert.Equal(a2, a1);
        // Inference pools without the argmax: the very same values, NaN included.
        input[0] = float.NaN;
        if (input.Length > c + 1) input[c + 1] = float.NaN;
        MaxPool.PoolImage(o1, a1, input, h, w, c, ph, pw, sh, sw, oh, ow);
        var o3 = new float[oh * ow * c];
        MaxPool.PoolImageMax(o3, input, w, c, ph, pw, sh, sw, oh, ow);
        Assert.Equal(o1.Select(BitConverter.SingleToInt32Bits), o3.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>The gather backward of non-overlapping windows against the scatter, bit for bit: gradients with −0,
    /// uncovered edge rows (13 pooled by 2), channel tails.</summary>
    [Theory]
    [InlineData(30, 30, 32, 2, 2, 2, 2)]
    [InlineData(13, 13, 64, 2, 2, 2, 2)]
    [InlineData(7, 9, 17, 3, 3, 3, 3)]
    [InlineData(9, 8, 5, 2, 3, 3, 3)]
    public void GatherBackwardMatchesTheScatter(int h, int w, int c, int ph, int pw, int sh, int sw)
    {
        var rng = new Rng(7);
        var input = new float[h * w * c];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextInt(5);
        int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
        var (output, argmax) = (new float[oh * ow * c], new int[oh * ow * c]);
        MaxPool.PoolImage(output, argmax, input, h, w, c, ph, pw, sh, sw, oh, ow);
        var dOut = new float[output.Length];
        for (int i = 0; i < dOut.Length; i++) dOut[i] = i % 7 == 0 ? -0f : rng.NextSingle() - 0.5f;
        var scatter = new float[input.Length];
        for (int i = 0; i < dOut.Length; i++) scatter[argmax[i]] += dOut[i];
        var gather = new float[input.Length];
        Array.Fill(gather, float.NaN);   // stale values must not survive
        MaxPool.UnpoolImage(gather, dOut, argmax, h, w, c, ph, pw, sh, sw, oh, ow);
        Assert.Equal(scatter.Select(BitConverter.SingleToInt32Bits), gather.Select(BitConverter.SingleToInt32Bits));
    }
}
