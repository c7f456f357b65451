using Fovea.Data.Augmentation;

namespace Fovea.Tests.Data.Augmentation;

/// <summary>
/// Each op against a plain reference: the test replays the per-image stream, <c>Rng.For(seed, "augment", epoch·2³² +
/// index)</c>, draws what the op documents, and builds the expected image with the reference kernels.
/// </summary>
public sealed class AugmentationOpTests
{
    private const long Seed = 1234;
    private static readonly int[] Indices = [0, 17, 3, 40_000, 5, 123_456, 8];

    public static TheoryData<int, int, int> Shapes => new() { { 5, 7, 1 }, { 7, 6, 3 }, { 9, 9, 3 } };

    private static float[] Batch(int h, int w, int c)
    {
        int size = h * w * c;
        var batch = new float[Indices.Length * size];
        for (int j = 0; j < Indices.Length; j++) ImageTransformsTests.Image(h, w, c, salt: j).CopyTo(batch, j * size);
        return batch;
    }

    private static Rng StreamOf(int index, int epoch) => Rng.For(Seed, "augment", (long)epoch << 32 | (uint)index);

    /// <summary>Runs <paramref name="op"/> alone and compares every image with <paramref name="expected"/>(image, stream, index).</summary>
    private static void Check(AugmentationOp op, int h, int w, int c, int epoch, Func<float[], Rng, int, float[]> expected)
    {
        float[] batch = Batch(h, w, c), original = (float[])batch.Clone();
        new AugmentationPipeline(op).Apply(batch, Indices, h, w, c, epoch, Seed);
        int size = h * w * c;
        for (int j = 0; j < Indices.Length; j++)
        {
            float[] want = expected(original.AsSpan(j * size, size).ToArray(), StreamOf(Indices[j], epoch), Indices[j]);
            Assert.True(want.AsSpan().SequenceEqual(batch.AsSpan(j * size, size)), $"{op} image {j} (sample {Indices[j]}) on {h}x{w}x{c}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RandomTranslate_shifts_by_a_reflect_padded_crop(int h, int w, int c)
    {
        Check(new RandomTranslate(pad: 2), h, w, c, epoch: 3, (image, rng, _) =>
        {
            int oy = rng.NextInt(5), ox = rng.NextInt(5); // crop offsets in [0, 2·pad]
            var result = new float[image.Length];
            ImageTransforms.TranslateReference(result, image, h, w, c, oy - 2, ox - 2, ImagePadding.Reflect);
            return result;
        });
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RandomCrop_shifts_by_a_zero_padded_crop(int h, int w, int c)
    {
        Check(new RandomCrop(h, w, padding: 3), h, w, c, epoch: 1, (image, rng, _) =>
        {
            int oy = rng.NextInt(7), ox = rng.NextInt(7);
            var result = new float[image.Length];
            ImageTransforms.TranslateReference(result, image, h, w, c, oy - 3, ox - 3, ImagePadding.Zero);
            return result;
        });
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RandomFlip_mirrors_when_the_draw_is_below_p(int h, int w, int c)
    {
        Check(new RandomFlip(0.5), h, w, c, epoch: 2, (image, rng, _) => rng.NextDouble() < 0.5 ? Flipped(image, h, w, c) : image);
        Check(new RandomFlip(1), h, w, c, epoch: 2, (image, _, _) => Flipped(image, h, w, c));
        Check(new RandomFlip(0), h, w, c, epoch: 2, (image, _, _) => image);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Cutout_zeroes_a_square_around_a_uniform_centre(int h, int w, int c)
    {
        Check(new Cutout(4), h, w, c, epoch: 5, (image, rng, _) =>
        {
            int cy = rng.NextInt(h), cx = rng.NextInt(w);
            var result = (float[])image.Clone();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (y >= cy - 2 && y < cy + 2 && x >= cx - 2 && x < cx + 2)
                        for (int ch = 0; ch < c; ch++) result[(y * w + x) * c + ch] = 0;
            return result;
        });
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AlternatingFlip_follows_the_per_run_bit_and_the_epoch_parity(int h, int w, int c)
    {
        for (int epoch = 1; epoch <= 4; epoch++)
            Check(new AlternatingFlip(), h, w, c, epoch, (image, _, index) =>
            {
                bool bit = Rng.For(Seed, "augment/alternating-flip", index).NextUInt64() >> 63 != 0;
                // Fovea's epoch 1 is airbench's epoch 0: flipped there when the bit is set.
                bool flip = (epoch - 1) % 2 == 0 ? bit : !bit;
                return flip ? Flipped(image, h, w, c) : image;
            });
    }

    [Fact]
    public void AlternatingFlip_shows_each_image_both_ways_in_every_two_epochs()
    {
        int flippedInEpoch1 = 0;
        for (int index = 0; index < 400; index++)
        {
            bool[] flips = [.. Enumerable.Range(1, 6).Select(e => AlternatingFlip.Flips(Seed, index, e))];
            for (int e = 1; e < flips.Length; e++) Assert.NotEqual(flips[e - 1], flips[e]);
            Assert.Equal(AlternatingFlip.FlipBit(Seed, index), flips[0]);
            if (flips[0]) flippedInEpoch1++;
        }
        Assert.InRange(flippedInEpoch1, 160, 240); // the bit is a fair coin
    }

    private static float[] Flipped(float[] image, int h, int w, int c)
    {
        var result = new float[image.Length];
        ImageTransforms.FlipHorizontalReference(result, image, h, w, c);
        return result;
    }

    [Fact]
    public void Ops_run_in_order_on_one_stream()
    {
        const int h = 6, w = 5, c = 3;
        float[] batch = Batch(h, w, c), original = (float[])batch.Clone();
        new AugmentationPipeline(new RandomFlip(), new RandomTranslate(1), new Cutout(2)).Apply(batch, Indices, h, w, c, 7, Seed);
        int size = h * w * c;
        for (int j = 0; j < Indices.Length; j++)
        {
            var rng = StreamOf(Indices[j], 7);
            float[] image = original.AsSpan(j * size, size).ToArray();
            if (rng.NextDouble() < 0.5) image = Flipped(image, h, w, c);
            int dy = rng.NextInt(3) - 1, dx = rng.NextInt(3) - 1;
            var shifted = new float[size];
            ImageTransforms.TranslateReference(shifted, image, h, w, c, dy, dx, ImagePadding.Reflect);
            int cy = rng.NextInt(h), cx = rng.NextInt(w);
            ImageTransforms.FillRectangle(shifted, h, w, c, cy - 1, cy + 1, cx - 1, cx + 1, 0);
            Assert.Equal(shifted, batch.AsSpan(j * size, size).ToArray());
        }
    }

    [Fact]
    public void Settings_are_checked_by_name()
    {
        Assert.StartsWith("pad must be non-negative; got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomTranslate(-1)).Message);
        Assert.StartsWith("probability must be in [0, 1]; got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomFlip(1.5)).Message);
        Assert.StartsWith("probability must be in [0, 1]; got NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomFlip(double.NaN)).Message);
        Assert.StartsWith("size must be positive; got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Cutout(0)).Message);
        Assert.StartsWith("padding must be non-negative; got -4", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(32, -4)).Message);
        Assert.StartsWith("crop size must be positive; got 0x32", Assert.Throws<ArgumentException>(() => new RandomCrop(0, 32, 4)).Message);
    }

    [Fact]
    public void Ops_that_do_not_fit_the_images_are_refused_before_any_pixel_changes()
    {
        float[] batch = Batch(5, 7, 1), original = (float[])batch.Clone();

        var crop = Assert.Throws<ArgumentException>(() => new AugmentationPipeline(new RandomFlip(1), new RandomCrop(32, 4)).Apply(batch, Indices, 5, 7, 1, 1, Seed));
        var translate = Assert.Throws<ArgumentException>(() => new AugmentationPipeline(new RandomTranslate(5)).Apply(batch, Indices, 5, 7, 1, 1, Seed));
        var epoch = Assert.Throws<ArgumentOutOfRangeException>(() => new AugmentationPipeline(new RandomFlip()).Apply(batch, Indices, 5, 7, 1, 0, Seed));

        Assert.Equal("RandomCrop size 32x32 must be the image size, 5x7: the crop works in place", crop.Message);
        Assert.Equal("RandomTranslate pad 5 must be smaller than the image (5x7) for reflect padding", translate.Message);
        Assert.StartsWith("epoch must be at least 1 (epochs are numbered from 1, as Fit numbers them); got 0", epoch.Message);
        Assert.Equal(original, batch);
    }
}
