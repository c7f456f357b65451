namespace Fovea.Kernels;

/// <summary>
/// Inference's max-pool with an implicit border against the pool of an explicitly padded copy, bit for bit, on the
/// instruction-set path this process runs: channel counts that leave 512-bit, 256-bit, 128-bit and scalar tails, NaN,
/// signed zeros and −∞ in the input, asymmetric borders.
/// </summary>
internal static class PaddedPoolSelfTest
{
    public static bool Run(out string detail)
    {
        (int H, int W, int C, int Top, int Left, float Fill)[] cases = [(9, 7, 29, 2, 1, -1e30f), (8, 9, 13, 1, 0, 0f), (5, 4, 67, 2, 2, 1.5f), (3, 3, 3, 1, 1, 0f)];
        var rng = new Random(5);
        foreach (var (h, w, c, top, left, fill) in cases)
        {
            const int ph = 3, pw = 3, sh = 2, sw = 2;
            var input = new float[h * w * c];
            for (int i = 0; i < input.Length; i++)
                input[i] = rng.Next(30) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, 3 => float.NegativeInfinity, int v => v % 5 - 2 };
            int hp = h + 2 * top, wp = w + 2 * left;
            var padded = new float[hp * wp * c];
            Array.Fill(padded, fill);
            for (int y = 0; y < h; y++) input.AsSpan(y * w * c, w * c).CopyTo(padded.AsSpan(((y + top) * wp + left) * c));
            int oh = (hp - ph) / sh + 1, ow = (wp - pw) / sw + 1;
            var expected = new float[oh * ow * c];
            MaxPool.PoolImageMax(expected, padded, wp, c, ph, pw, sh, sw, oh, ow);
            var actual = new float[expected.Length];
            MaxPool.PoolImageMaxPadded(actual, input, h, w, c, ph, pw, sh, sw, oh, ow, top, left, fill, 0, oh);
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                {
                    detail = $"FAIL padded pool {h}×{w}×{c} border ({top}, {left}) fill {fill}: output {i} is {actual[i]}, the padded copy's {expected[i]}";
                    return false;
                }
        }
        detail = "ok padded pool";
        return true;
    }
}
