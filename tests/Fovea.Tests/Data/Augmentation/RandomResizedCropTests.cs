using Fovea.Data.Augmentation;

namespace Fovea.Tests.Data.Augmentation;

/// <summary>
/// The random resized crop against a replay of its documented draws and a bilinear resize written out in doubles,
/// its distribution of crop sizes, and its configuration.
/// </summary>
public sealed class RandomResizedCropTests
{
    private const long Seed = 77;
    private static readonly int[] Indices = [0, 5, 9, 31_000, 2, 64];

    /// <summary>The bilinear resize as its definition reads: each output centre mapped into the window, clamped, interpolated.</summary>
    private static float[] CropResizeReference(float[] src, int h, int w, int c, int top, int left, int ch, int cw)
    {
        var dst = new float[h * w * c];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double sy = Math.Clamp((y + 0.5) * ch / h - 0.5, 0, ch - 1), sx = Math.Clamp((x + 0.5) * cw / w - 0.5, 0, cw - 1);
                int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx), y1 = Math.Min(y0 + 1, ch - 1), x1 = Math.Min(x0 + 1, cw - 1);
                double fy = sy - y0, fx = sx - x0;
                for (int k = 0; k < c; k++)
                {
                    double P(int yy, int xx) => src[((top + yy) * w + left + xx) * c + k];
                    dst[(y * w + x) * c + k] = (float)((1 - fy) * ((1 - fx) * P(y0, x0) + fx * P(y0, x1)) + fy * ((1 - fx) * P(y1, x0) + fx * P(y1, x1)));
                }
            }
        return dst;
    }

    [Theory]
    [InlineData(5, 7, 1)]
    [InlineData(9, 9, 3)]
    [InlineData(32, 32, 3)]
    public void CropResize_matches_a_bilinear_resize_of_the_window(int h, int w, int c)
    {
        float[] src = ImageTransformsTests.Image(h, w, c);
        foreach (var (top, left, ch, cw) in new[] { (0, 0, h, w), (1, 2, h - 2, w - 3), (h - 1, w - 1, 1, 1), (0, 1, h, 2) })
        {
            var fast = new float[src.Length];
            ImageTransforms.CropResize(fast, src, h, w, c, top, left, ch, cw);
            float[] want = CropResizeReference(src, h, w, c, top, left, ch, cw);
            for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - fast[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"window {ch}x{cw} at ({top}, {left}), value {i}: {fast[i]} against {want[i]}");
        }
        var whole = new float[src.Length];
        ImageTransforms.CropResize(whole, src, h, w, c, 0, 0, h, w);
        Assert.Equal(src, whole); // the whole window is the identity, exactly
    }

    [Fact]
    public void CropResize_refuses_a_window_outside_the_image()
    {
        var image = new float[5 * 5];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ImageTransforms.CropResize(image, new float[25], 5, 5, 1, 2, 0, 4, 5));
        Assert.StartsWith("the window 4x5 at (2, 0) must lie inside the 5x5 image", ex.Message);
    }

    [Theory]
    [InlineData(9, 7, 3)]
    [InlineData(32, 32, 3)]
    public void Each_image_is_its_replayed_crop_resized(int h, int w, int c)
    {
        var op = new RandomResizedCrop(0.35, 1, 3.0 / 4, 4.0 / 3);
        int size = h * w * c;
        var batch = new float[Indices.Length * size];
        for (int j = 0; j < Indices.Length; j++) ImageTransformsTests.Image(h, w, c, salt: j).CopyTo(batch, j * size);
        float[] original = (float[])batch.Clone();

        new AugmentationPipeline(op).Apply(batch, Indices, h, w, c, epoch: 4, Seed);

        for (int j = 0; j < Indices.Length; j++)
        {
            var rng = Rng.For(Seed, "augment", 4L << 32 | (uint)Indices[j]);
            (int top, int left, int ch, int cw) crop = (0, 0, h, w);
            for (int attempt = 0; attempt < 10; attempt++)
            {
                double area = h * w * (0.35 + 0.65 * rng.NextDouble());
                double ratio = Math.Exp(Math.Log(0.75) + (Math.Log(4.0 / 3) - Math.Log(0.75)) * rng.NextDouble());
                int cw = (int)Math.Round(Math.Sqrt(area * ratio)), ch = (int)Math.Round(Math.Sqrt(area / ratio));
                if (cw < 1 || ch < 1 || cw > w || ch > h) continue;
                crop = (rng.NextInt(h - ch + 1), rng.NextInt(w - cw + 1), ch, cw);
                break;
            }
            float[] image = original.AsSpan(j * size, size).ToArray(), want = new float[size];
            ImageTransforms.CropResize(want, image, h, w, c, crop.top, crop.left, crop.ch, crop.cw);
            Assert.True(want.AsSpan().SequenceEqual(batch.AsSpan(j * size, size)), $"image {j} (sample {Indices[j]}), crop {crop}");
        }
    }

    [Fact]
    public void Crops_cover_the_scale_and_ratio_ranges()
    {
        var op = new RandomResizedCrop(0.35, 1, 3.0 / 4, 4.0 / 3);
        var areas = new List<double>();
        for (int index = 0; index < 2000; index++)
        {
            var (top, left, h, w) = op.Draw(Rng.For(Seed, "augment", index), 32, 32);
            Assert.InRange(top + h, 1, 32);
            Assert.InRange(left + w, 1, 32);
            Assert.InRange(w / (double)h, 0.7, 1.43); // 3/4–4/3, give or take the rounding to whole pixels
            areas.Add(h * w / 1024.0);
        }
        Assert.InRange(areas.Min(), 0.3, 0.4);
        Assert.InRange(areas.Max(), 0.9, 1.0);
        Assert.InRange(areas.Average(), 0.6, 0.7); // about (0.35 + 1) / 2, a little less: crops that do not fit are drawn again
    }

    [Fact]
    public void Settings_are_checked_described_and_round_trip_through_json()
    {
        Assert.StartsWith("scales must satisfy 0 < min ≤ max ≤ 1; got 0–1", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(0)).Message);
        Assert.StartsWith("scales must satisfy 0 < min ≤ max ≤ 1; got 0.5–1.2", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(0.5, 1.2)).Message);
        Assert.StartsWith("ratios must satisfy 0 < min ≤ max; got 2–1", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(0.5, 1, 2, 1)).Message);

        var pipeline = new AugmentationPipeline(new RandomResizedCrop(0.35), new RandomFlip());
        Assert.Equal("RandomResizedCrop(scale=0.35–1, ratio=0.75–1.333) → RandomFlip(horizontal, p=0.5)", pipeline.Describe());
        var back = AugmentationPipeline.FromJson(pipeline.ToJson());
        Assert.Equal(pipeline.ToJson(), back.ToJson());
        Assert.Contains("\"type\":\"random_resized_crop\",\"min_scale\":0.35,\"max_scale\":1,", pipeline.ToJson());
    }
}
