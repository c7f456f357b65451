using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class Im2ColTests
{
    [Theory]
    [InlineData(32, 32, 3, 3, 3, 1, 1, 0, 0, 0, 0)]
    [InlineData(15, 15, 32, 3, 3, 1, 1, 0, 0, 0, 0)]
    [InlineData(7, 5, 33, 3, 3, 1, 1, 1, 1, 1, 1)]
    [InlineData(6, 9, 17, 2, 4, 1, 1, 0, 1, 1, 2)]
    [InlineData(1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0)]
    [InlineData(4, 3, 7, 3, 3, 1, 1, 1, 1, 1, 1)]
    [InlineData(9, 8, 5, 3, 3, 2, 2, 0, 0, 1, 1)]     // 'same', stride 2: the extra pad at the bottom/right
    [InlineData(11, 7, 3, 3, 2, 2, 3, 1, 0, 0, 0)]    // strides that skip some pixels entirely
    [InlineData(10, 10, 16, 1, 1, 3, 3, 0, 0, 0, 0)]
    [InlineData(5, 6, 9, 4, 3, 1, 2, 2, 1, 1, 0)]
    public void FoldMatchesTheScatterReferenceAndIsTheAdjointOfUnfold(int h, int w, int c, int kh, int kw, int sh, int sw,
                                                                      int padTop, int padLeft, int padBottom, int padRight)
    {
        var g = ConvGeometry.Padded(h, w, c, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight);
        var rng = new Rng(5);
        var cols = new float[g.OutPixels * g.PatchSize];
        for (int i = 0; i < cols.Length; i++) cols[i] = rng.NextInt(9) - 4; // small integers: sums are exact in any order
        var fast = new float[g.InputSize];
        var reference = new float[g.InputSize];
        Im2Col.Fold(fast, cols, g);
        Im2Col.FoldReference(reference, cols, g);
        Assert.Equal(reference, fast);

        // ⟨Unfold(x), cols⟩ = ⟨x, Fold(cols)⟩
        var x = new float[g.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(7) - 3;
        var unfolded = new float[cols.Length];
        Im2Col.Unfold(unfolded, x, g);
        double left = 0, right = 0;
        for (int i = 0; i < cols.Length; i++) left += unfolded[i] * cols[i];
        for (int i = 0; i < x.Length; i++) right += x[i] * fast[i];
        Assert.Equal(left, right);
    }

    /// <summary>Unfold against its definition, element by element, for channel counts that take every copy path
    /// (rows of 1–3, 4–7, 8–15, 16–63 and 64+ floats), inside the image and across each padded edge.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(16)]
    [InlineData(21)]
    [InlineData(33)]
    [InlineData(70)]
    public void UnfoldCopiesEachTapOrZero(int c)
    {
        foreach (var g in new[] { ConvGeometry.Same(6, 5, c, 3, 3), ConvGeometry.Valid(5, 7, c, 3, 2), ConvGeometry.Padded(7, 6, c, 3, 3, 2, 1, 1, 2, 1, 0) })
        {
            var rng = new Rng((ulong)c);
            var x = new float[g.InputSize];
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() + 1;
            var cols = new float[g.OutPixels * g.PatchSize];
            Array.Fill(cols, float.NaN);
            Im2Col.Unfold(cols, x, g);
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                            for (int ch = 0; ch < c; ch++)
                            {
                                int ih = oh * g.StrideHeight - g.PadTop + kh, iw = ow * g.StrideWidth - g.PadLeft + kw;
                                float expected = ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width ? 0 : x[(ih * g.Width + iw) * c + ch];
                                Assert.Equal(expected, cols[(oh * g.OutWidth + ow) * g.PatchSize + (kh * g.KernelWidth + kw) * c + ch]);
                            }
        }
    }
}
