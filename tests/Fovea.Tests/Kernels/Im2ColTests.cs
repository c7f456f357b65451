using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class Im2ColTests
{
    [Theory]
    [InlineData(32, 32, 3, 3, 3, 0, 0)]
    [InlineData(15, 15, 32, 3, 3, 0, 0)]
    [InlineData(7, 5, 33, 3, 3, 1, 1)]
    [InlineData(6, 9, 17, 2, 4, 0, 1)]
    [InlineData(1, 1, 1, 1, 1, 0, 0)]
    [InlineData(4, 3, 7, 3, 3, 1, 1)]
    public void FoldMatchesTheScatterReferenceAndIsTheAdjointOfUnfold(int h, int w, int c, int kh, int kw, int padTop, int padLeft)
    {
        int oh = padTop > 0 || padLeft > 0 ? h : h - kh + 1, ow = padTop > 0 || padLeft > 0 ? w : w - kw + 1;
        var g = new ConvGeometry(h, w, c, kh, kw, padTop, padLeft, oh, ow);
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
