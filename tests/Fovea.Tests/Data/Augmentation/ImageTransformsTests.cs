using Fovea.Data.Augmentation;

namespace Fovea.Tests.Data.Augmentation;

/// <summary>The image kernels against their references on odd shapes, and reflect padding against numpy's values.</summary>
public sealed class ImageTransformsTests
{
    internal static float[] Image(int height, int width, int channels, int salt = 0)
    {
        var image = new float[height * width * channels];
        for (int i = 0; i < image.Length; i++) image[i] = (i * 7 + salt * 13) % 101 + 0.5f;
        return image;
    }

    public static TheoryData<int, int, int> Shapes => new() { { 5, 7, 1 }, { 7, 5, 3 }, { 1, 9, 3 }, { 6, 4, 2 }, { 3, 3, 1 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Translate_matches_its_reference_for_every_shift(int h, int w, int c)
    {
        float[] src = Image(h, w, c);
        foreach (var padding in (ImagePadding[])[ImagePadding.Reflect, ImagePadding.Zero])
        {
            int reachY = padding == ImagePadding.Reflect ? h - 1 : h + 2, reachX = padding == ImagePadding.Reflect ? w - 1 : w + 2;
            for (int dy = -reachY; dy <= reachY; dy++)
                for (int dx = -reachX; dx <= reachX; dx++)
                {
                    float[] fast = new float[src.Length], reference = new float[src.Length];
                    Array.Fill(fast, float.NaN);
                    ImageTransforms.Translate(fast, src, h, w, c, dy, dx, padding);
                    ImageTransforms.TranslateReference(reference, src, h, w, c, dy, dx, padding);
                    Assert.True(reference.AsSpan().SequenceEqual(fast), $"{padding} dy={dy} dx={dx} on {h}x{w}x{c}");
                }
        }
    }

    [Fact]
    public void Reflect_padding_is_numpys_without_repeating_the_edge()
    {
        // numpy.pad([1, 2, 3, 4, 5], 2, mode='reflect') = [3, 2, 1, 2, 3, 4, 5, 4, 3]
        float[] row = [1, 2, 3, 4, 5];
        Assert.Equal([3f, 2, 1, 2, 3], Shift(row, 1, 5, 1, 0, -2));
        Assert.Equal([2f, 1, 2, 3, 4], Shift(row, 1, 5, 1, 0, -1));
        Assert.Equal([3f, 4, 5, 4, 3], Shift(row, 1, 5, 1, 0, 2));

        // numpy.pad([[1, 2, 3], [4, 5, 6]], 1, mode='reflect') = [[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [2, 1, 2, 3, 2]]:
        // airbench's crop at offset 0 is the shift by -1, at offset 2 the shift by +1.
        float[] image = [1, 2, 3, 4, 5, 6];
        Assert.Equal([5f, 4, 5, 2, 1, 2], Shift(image, 2, 3, 1, -1, -1));
        Assert.Equal([5f, 6, 5, 2, 3, 2], Shift(image, 2, 3, 1, 1, 1));

        // Channels move together: pixel (0, -1) of a 1x3x2 image is pixel (0, 1).
        float[] pixels = [10, 11, 20, 21, 30, 31];
        Assert.Equal([20f, 21, 10, 11, 20, 21], Shift(pixels, 1, 3, 2, 0, -1));
    }

    [Fact]
    public void Zero_padding_fills_with_zeros()
    {
        float[] image = [1, 2, 3, 4, 5, 6];
        Assert.Equal([0f, 0, 0, 0, 1, 2], Shift(image, 2, 3, 1, -1, -1, ImagePadding.Zero));
        Assert.Equal([6f, 0, 0, 0, 0, 0], Shift(image, 2, 3, 1, 1, 2, ImagePadding.Zero));
        Assert.Equal(new float[6], Shift(image, 2, 3, 1, 0, 5, ImagePadding.Zero));
    }

    [Fact]
    public void Reflected_shift_as_large_as_the_image_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Shift([1, 2, 3], 1, 3, 1, 0, 3));
        Assert.StartsWith("a reflected shift must be smaller than the image; got dy=0, dx=3 for 1x3", ex.Message);
    }

    private static float[] Shift(float[] src, int h, int w, int c, int dy, int dx, ImagePadding padding = ImagePadding.Reflect)
    {
        var dst = new float[src.Length];
        ImageTransforms.Translate(dst, src, h, w, c, dy, dx, padding);
        return dst;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Flip_in_place_and_out_of_place_match_the_reference(int h, int w, int c)
    {
        float[] src = Image(h, w, c), reference = new float[src.Length], fast = new float[src.Length];
        ImageTransforms.FlipHorizontalReference(reference, src, h, w, c);

        ImageTransforms.FlipHorizontal(fast, src, h, w, c);
        float[] inPlace = (float[])src.Clone();
        ImageTransforms.FlipHorizontal(inPlace, h, w, c);

        Assert.Equal(reference, fast);
        Assert.Equal(reference, inPlace);
        ImageTransforms.FlipHorizontal(inPlace, h, w, c);
        Assert.Equal(src, inPlace); // an involution
    }

    [Fact]
    public void Flip_keeps_channels_of_a_pixel_together()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        ImageTransforms.FlipHorizontal(image, 1, 3, 3);
        Assert.Equal([7f, 8, 9, 4, 5, 6, 1, 2, 3], image);
    }

    [Fact]
    public void Rectangle_is_clipped_to_the_image()
    {
        float[] image = Image(4, 5, 2);
        float[] expected = (float[])image.Clone();
        for (int y = 0; y < 2; y++)
            for (int x = 3; x < 5; x++)
                for (int ch = 0; ch < 2; ch++)
                    expected[(y * 5 + x) * 2 + ch] = 0;

        ImageTransforms.FillRectangle(image, 4, 5, 2, -3, 2, 3, 9, 0f);

        Assert.Equal(expected, image);
    }
}
