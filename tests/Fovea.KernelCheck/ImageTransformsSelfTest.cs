namespace Fovea.Data.Augmentation;

/// <summary>
/// The image kernels against their references on awkward shapes, for <see cref="Kernels.KernelSelfTest"/>: the copies,
/// fills and reversals they are built from are vectorised inside .NET per instruction set, so they rerun there with
/// AVX-512 and AVX2 disabled like every other kernel.
/// </summary>
internal static class ImageTransformsSelfTest
{
    public static bool Run(out string detail)
    {
        (int H, int W, int C)[] shapes = [(5, 7, 1), (7, 5, 3), (1, 33, 3), (32, 32, 3), (28, 28, 1), (6, 17, 16)];
        foreach (var (h, w, c) in shapes)
        {
            var src = new float[h * w * c];
            for (int i = 0; i < src.Length; i++) src[i] = i * 0.37f - 5;
            float[] fast = new float[src.Length], reference = new float[src.Length];
            foreach (var padding in (ImagePadding[])[ImagePadding.Reflect, ImagePadding.Zero])
                for (int dy = -Math.Min(h - 1, 3); dy <= Math.Min(h - 1, 3); dy++)
                    for (int dx = -Math.Min(w - 1, 3); dx <= Math.Min(w - 1, 3); dx++)
                    {
                        ImageTransforms.Translate(fast, src, h, w, c, dy, dx, padding);
                        ImageTransforms.TranslateReference(reference, src, h, w, c, dy, dx, padding);
                        if (!fast.AsSpan().SequenceEqual(reference))
                        {
                            detail = $"FAIL translate {padding} dy={dy} dx={dx} on {h}x{w}x{c}";
                            return false;
                        }
                    }
            ImageTransforms.FlipHorizontalReference(reference, src, h, w, c);
            ImageTransforms.FlipHorizontal(fast, src, h, w, c);
            float[] inPlace = (float[])src.Clone();
            ImageTransforms.FlipHorizontal(inPlace, h, w, c);
            if (!fast.AsSpan().SequenceEqual(reference) || !inPlace.AsSpan().SequenceEqual(reference))
            {
                detail = $"FAIL flip on {h}x{w}x{c}";
                return false;
            }
        }
        detail = "ok image transforms";
        return true;
    }
}
