using System.Numerics.Tensors;

namespace Fovea.Data.Augmentation;

/// <summary>
/// One view of a test image for test-time augmentation: shift by (<see cref="Dy"/>, <see cref="Dx"/>) with reflect
/// padding (<see cref="ImageTransforms.Translate"/>), then mirror if <see cref="Flip"/>; the model's logits for the view
/// count with <see cref="Weight"/>.
/// </summary>
public readonly record struct TtaView(int Dy, int Dx, bool Flip, float Weight);

/// <summary>
/// Test-time augmentation as airbench94 does it: the prediction is a weighted sum of the model's logits over a few
/// views of each image. With mirror(t) = 0.5·f(t) + 0.5·f(flip(t)):
/// <list type="bullet">
/// <item>level 0: f(x);</item>
/// <item>level 1: mirror(x);</item>
/// <item>level 2: 0.5·mirror(x) + 0.25·mirror(translate(x, -1, -1)) + 0.25·mirror(translate(x, +1, +1)), where
/// translate by -1 reflect-pads 1 pixel and crops at offset 0, and by +1 crops at offset 2.</item>
/// </list>
/// That is six views for level 2, weights 1/4, 1/4, 1/8, 1/8, 1/8, 1/8 (<see cref="Views"/>). For each view: render
/// the batch with <see cref="Render"/>, run the model, and <see cref="Accumulate"/> its logits into the sum.
/// </summary>
public static class TestTimeViews
{
    /// <summary>The highest test-time augmentation level (six views).</summary>
    public const int MaxLevel = 2;

    private static readonly TtaView[][] ViewsByLevel =
    [
        [new(0, 0, false, 1f)],
        [new(0, 0, false, 0.5f), new(0, 0, true, 0.5f)],
        [
            new(0, 0, false, 0.25f), new(0, 0, true, 0.25f),
            new(-1, -1, false, 0.125f), new(-1, -1, true, 0.125f),
            new(1, 1, false, 0.125f), new(1, 1, true, 0.125f),
        ],
    ];

    /// <summary>The views of <paramref name="level"/> (0, 1 or 2) and their weights, which sum to 1.</summary>
    public static IReadOnlyList<TtaView> Views(int level)
    {
        if ((uint)level > MaxLevel) throw new ArgumentOutOfRangeException(nameof(level), $"level must be 0, 1 or 2; got {level}");
        return ViewsByLevel[level];
    }

    /// <summary>dst ← the view of each of the <paramref name="count"/> images in src: translated, then mirrored. The two must not overlap.</summary>
    public static void Render(Span<float> dst /* [N, H, W, C] */, ReadOnlySpan<float> src /* [N, H, W, C] */,
                              int count, int height, int width, int channels, TtaView view)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be non-negative; got {count}");
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"image dimensions must be positive; got {height}x{width}x{channels}");
        int size = height * width * channels;
        if (dst.Length < (long)count * size || src.Length < (long)count * size)
            throw new ArgumentException($"dst and src must hold {count} images of {height}x{width}x{channels}; got {dst.Length} and {src.Length} values");
        for (int i = 0; i < count; i++)
        {
            var d = dst.Slice(i * size, size);
            var s = src.Slice(i * size, size);
            if (view.Dy != 0 || view.Dx != 0) ImageTransforms.Translate(d, s, height, width, channels, view.Dy, view.Dx, ImagePadding.Reflect);
            else s.CopyTo(d);
            if (view.Flip) ImageTransforms.FlipHorizontal(d, height, width, channels);
        }
    }

    /// <summary>sum += weight · logits, element by element.</summary>
    public static void Accumulate(Span<float> sum, ReadOnlySpan<float> logits, float weight)
    {
        if (sum.Length != logits.Length) throw new ArgumentException($"sum and logits must have the same length; got {sum.Length} and {logits.Length}");
        TensorPrimitives.MultiplyAdd(logits, weight, sum, sum);
    }
}
