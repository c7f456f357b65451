namespace Fovea.Kernels;

/// <summary>Whole-image transforms on NHWC batches for test-time augmentation: mirror and one-pixel reflect shifts.</summary>
public static class ImageTransforms
{
    /// <summary>dst[n, y, x, :] = src[n, y, W − 1 − x, :] — the mirror image, left to right.</summary>
    public static void FlipHorizontal(Span<float> dst, ReadOnlySpan<float> src, int batch, int h, int w, int c)
    {
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < h; y++)
            {
                int row = (n * h + y) * w * c;
                for (int x = 0; x < w; x++)
                    src.Slice(row + (w - 1 - x) * c, c).CopyTo(dst.Slice(row + x * c, c));
            }
    }

    /// <summary>
    /// dst[n, y, x, :] = src[n, reflect(y + dy), reflect(x + dx), :]: the image moved by (−dy, −dx) with reflect
    /// padding (numpy's 'reflect': the edge is not repeated), i.e. pad, then crop at offset (pad + dy, pad + dx).
    /// </summary>
    public static void Translate(Span<float> dst, ReadOnlySpan<float> src, int batch, int h, int w, int c, int dy, int dx)
    {
        if (Math.Abs(dy) >= h || Math.Abs(dx) >= w)
            throw new ArgumentOutOfRangeException(nameof(dy), $"shifts must be smaller than the image {h}x{w}; got ({dy}, {dx})");
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < h; y++)
            {
                int sy = Reflect(y + dy, h);
                for (int x = 0; x < w; x++)
                {
                    int sx = Reflect(x + dx, w);
                    src.Slice(((n * h + sy) * w + sx) * c, c).CopyTo(dst.Slice(((n * h + y) * w + x) * c, c));
                }
            }
    }

    private static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}
