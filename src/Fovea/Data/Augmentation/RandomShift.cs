namespace Fovea.Data.Augmentation;

// The shift RandomCrop and RandomTranslate share: dy then dx drawn from [-pad, pad], the image moved through the
// scratch with the padding the op fills in with (zeros for a padded crop, the mirror image for a reflect pad).
internal static class RandomShift
{
    public static void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, int pad,
        ImagePadding padding, in AugmentationSample sample)
    {
        int dy = sample.Rng.NextInt(2 * pad + 1) - pad, dx = sample.Rng.NextInt(2 * pad + 1) - pad;
        if (dy == 0 && dx == 0) return;
        var source = scratch[..image.Length];
        image.CopyTo(source);
        ImageTransforms.Translate(image, source, height, width, channels, dy, dx, padding);
    }
}
