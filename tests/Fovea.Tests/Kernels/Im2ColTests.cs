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
}
