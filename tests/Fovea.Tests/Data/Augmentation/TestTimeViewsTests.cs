using Fovea.Data.Augmentation;

namespace Fovea.Tests.Data.Augmentation;

public sealed class TestTimeViewsTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 6)]
    public void Views_weights_sum_to_one(int level, int count)
    {
        var views = TestTimeViews.Views(level);

        Assert.Equal(count, views.Count);
        Assert.Equal(1f, views.Sum(v => v.Weight));
    }

    [Fact]
    public void Level_2_is_airbench94s_mirror_and_translate()
    {
        // 0.5·mirror(x) + 0.25·mirror(translate(x, -1, -1)) + 0.25·mirror(translate(x, +1, +1)), mirror(t) = 0.5·f(t) + 0.5·f(flip(t)).
        Assert.Equal(
            [new(0, 0, false, 0.25f), new(0, 0, true, 0.25f), new(-1, -1, false, 0.125f), new(-1, -1, true, 0.125f), new(1, 1, false, 0.125f), new(1, 1, true, 0.125f)],
            TestTimeViews.Views(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TestTimeViews.Views(3));
    }

    [Theory]
    [InlineData(5, 7, 1)]
    [InlineData(6, 4, 3)]
    public void Render_translates_then_mirrors_each_image(int h, int w, int c)
    {
        int size = h * w * c;
        float[] src = [.. ImageTransformsTests.Image(h, w, c, 1), .. ImageTransformsTests.Image(h, w, c, 2)];
        foreach (var view in TestTimeViews.Views(2))
        {
            float[] dst = new float[src.Length];
            TestTimeViews.Render(dst, src, 2, h, w, c, view);
            for (int i = 0; i < 2; i++)
            {
                float[] shifted = new float[size], expected = new float[size];
                ImageTransforms.TranslateReference(shifted, src.AsSpan(i * size, size), h, w, c, view.Dy, view.Dx, ImagePadding.Reflect);
                if (view.Flip) ImageTransforms.FlipHorizontalReference(expected, shifted, h, w, c);
                else expected = shifted;
                Assert.Equal(expected, dst.AsSpan(i * size, size).ToArray());
            }
        }
    }

    [Fact]
    public void Accumulate_adds_weighted_logits()
    {
        float[] sum = [1, 2];
        TestTimeViews.Accumulate(sum, [4, 8], 0.25f);
        Assert.Equal([2f, 4f], sum);
    }
}
