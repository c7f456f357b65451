namespace Fovea.Data.Augmentation;

/// <summary>How <see cref="ImageTransforms.Translate"/> fills the pixels shifted in from outside the image.</summary>
public enum ImagePadding
{
    /// <summary>Mirror at the edge without repeating it, as <c>numpy.pad(mode='reflect')</c>: row -1 is row 1.</summary>
    Reflect,

    /// <summary>Zeros, as a zero-padded random crop.</summary>
    Zero,
}

/// <summary>
/// The geometric image kernels that augmentation and test-time augmentation are built from, on float images [H, W, C]
/// (NHWC without the N). Each has a plain <c>…Reference</c> beside it that says what it computes the obvious way.
/// </summary>
public static class ImageTransforms
{
    /// <summary>Mirrors <paramref name="image"/> left to right in place: pixel (y, x) ↔ (y, W-1-x).</summary>
    public static void FlipHorizontal(Span<float> image /* [H, W, C] */, int height, int width, int channels)
    {
        CheckImage(image.Length, nameof(image), height, width, channels);
        int row = width * channels;
        for (int y = 0; y < height; y++)
        {
            var r = image.Slice(y * row, row);
            if (channels == 1)
            {
                r.Reverse();
                continue;
            }
            for (int left = 0, right = (width - 1) * channels; left < right; left += channels, right -= channels)
                for (int ch = 0; ch < channels; ch++)
                    (r[left + ch], r[right + ch]) = (r[right + ch], r[left + ch]);
        }
    }

    /// <summary>dst ← src mirrored left to right: dst(y, x) = src(y, W-1-x). The two must not overlap.</summary>
    public static void FlipHorizontal(Span<float> dst /* [H, W, C] */, ReadOnlySpan<float> src /* [H, W, C] */, int height, int width, int channels)
    {
        CheckImage(dst.Length, nameof(dst), height, width, channels);
        CheckImage(src.Length, nameof(src), height, width, channels);
        int row = width * channels;
        for (int y = 0; y < height; y++)
        {
            var d = dst.Slice(y * row, row);
            var s = src.Slice(y * row, row);
            for (int x = 0; x < width; x++)
                s.Slice((width - 1 - x) * channels, channels).CopyTo(d.Slice(x * channels, channels));
        }
    }

    /// <summary>The definition of <see cref="FlipHorizontal(Span{float}, ReadOnlySpan{float}, int, int, int)"/>, element by element.</summary>
    internal static void FlipHorizontalReference(Span<float> dst, ReadOnlySpan<float> src, int height, int width, int channels)
    {
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < channels; ch++)
                    dst[(y * width + x) * channels + ch] = src[(y * width + (width - 1 - x)) * channels + ch];
    }

    /// <summary>
    /// dst ← src shifted: dst(y, x) = src(y + dy, x + dx), with the pixels from outside the image given by
    /// <paramref name="padding"/>. That is: pad by p ≥ |dy|, |dx|, then crop H×W at offset (p + dy, p + dx); airbench's
    /// "reflect-pad 1, crop at offset 0" is dy = dx = -1, "crop at offset 2" is dy = dx = +1. Reflection mirrors once, so
    /// it needs |dy| &lt; H and |dx| &lt; W. The two spans must not overlap.
    /// </summary>
    public static void Translate(Span<float> dst /* [H, W, C] */, ReadOnlySpan<float> src /* [H, W, C] */,
                                 int height, int width, int channels, int dy, int dx, ImagePadding padding)
    {
        CheckImage(dst.Length, nameof(dst), height, width, channels);
        CheckImage(src.Length, nameof(src), height, width, channels);
        CheckShift(height, width, dy, dx, padding);
        int row = width * channels;
        // Columns x whose source x + dx is inside the image: one contiguous copy per row; the rest are edges.
        int inStart = Math.Clamp(-dx, 0, width), inEnd = Math.Clamp(width - dx, inStart, width);
        for (int y = 0; y < height; y++)
        {
            var d = dst.Slice(y * row, row);
            int sy = y + dy;
            if ((uint)sy >= (uint)height)
            {
                if (padding == ImagePadding.Zero)
                {
                    d.Clear();
                    continue;
                }
                sy = Reflect(sy, height);
            }
            var s = src.Slice(sy * row, row);
            if (inEnd > inStart)
                s.Slice((inStart + dx) * channels, (inEnd - inStart) * channels).CopyTo(d.Slice(inStart * channels));
            for (int x = 0; x < inStart; x++) EdgePixel(d, s, x, dx, width, channels, padding);
            for (int x = inEnd; x < width; x++) EdgePixel(d, s, x, dx, width, channels, padding);
        }
    }

    private static void EdgePixel(Span<float> dstRow, ReadOnlySpan<float> srcRow, int x, int dx, int width, int channels, ImagePadding padding)
    {
        var d = dstRow.Slice(x * channels, channels);
        if (padding == ImagePadding.Zero) d.Clear();
        else srcRow.Slice(Reflect(x + dx, width) * channels, channels).CopyTo(d);
    }

    /// <summary>
    /// <see cref="Translate"/> as its definition reads: build the padded image, (H+2·|dy|)×(W+2·|dx|), the way
    /// <c>numpy.pad</c> does, then crop H×W at (|dy| + dy, |dx| + dx).
    /// </summary>
    internal static void TranslateReference(Span<float> dst, ReadOnlySpan<float> src, int height, int width, int channels, int dy, int dx, ImagePadding padding)
    {
        int py = Math.Abs(dy), px = Math.Abs(dx);
        int ph = height + 2 * py, pw = width + 2 * px;
        var padded = new float[ph * pw * channels];
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                int sy = y - py, sx = x - px;
                bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                if (!inside && padding == ImagePadding.Zero) continue;
                // numpy's 'reflect': index -k is k, index n-1+k is n-1-k (the edge itself is not repeated).
                if (sy < 0) sy = -sy;
                if (sy >= height) sy = 2 * (height - 1) - sy;
                if (sx < 0) sx = -sx;
                if (sx >= width) sx = 2 * (width - 1) - sx;
                for (int ch = 0; ch < channels; ch++)
                    padded[(y * pw + x) * channels + ch] = src[(sy * width + sx) * channels + ch];
            }
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < channels; ch++)
                    dst[(y * width + x) * channels + ch] = padded[((y + py + dy) * pw + x + px + dx) * channels + ch];
    }

    /// <summary>
    /// dst (H×W) ← the <paramref name="cropHeight"/>×<paramref name="cropWidth"/> window of src at (<paramref name="top"/>,
    /// <paramref name="left"/>) resized bilinearly, pixel centres aligned as <c>align_corners=False</c> does and samples
    /// clamped to the window. The two spans must not overlap.
    /// </summary>
    public static void CropResize(Span<float> dst /* [H, W, C] */, ReadOnlySpan<float> src /* [H, W, C] */, int height, int width, int channels,
                                  int top, int left, int cropHeight, int cropWidth)
    {
        CheckImage(dst.Length, nameof(dst), height, width, channels);
        CheckImage(src.Length, nameof(src), height, width, channels);
        if (cropHeight < 1 || cropWidth < 1 || top < 0 || left < 0 || top + cropHeight > height || left + cropWidth > width)
            throw new ArgumentOutOfRangeException(nameof(top), $"the window {cropHeight}x{cropWidth} at ({top}, {left}) must lie inside the {height}x{width} image");
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Tap(y, height, cropHeight);
            int r0 = (top + y0) * width, r1 = (top + y1) * width;
            for (int x = 0; x < width; x++)
            {
                var (x0, x1, fx) = Tap(x, width, cropWidth);
                int a = (r0 + left + x0) * channels, b = (r0 + left + x1) * channels, c = (r1 + left + x0) * channels, d = (r1 + left + x1) * channels;
                var o = dst.Slice((y * width + x) * channels, channels);
                for (int ch = 0; ch < channels; ch++)
                {
                    float upper = src[a + ch] + (src[b + ch] - src[a + ch]) * fx, lower = src[c + ch] + (src[d + ch] - src[c + ch]) * fx;
                    o[ch] = upper + (lower - upper) * fy;
                }
            }
        }
    }

    /// <summary>The two source taps and the weight of the second for output position <paramref name="i"/> of <paramref name="n"/>
    /// from a window of <paramref name="m"/>: centre (i + ½)·m/n − ½, clamped to [0, m − 1].</summary>
    internal static (int Lo, int Hi, float Fraction) Tap(int i, int n, int m)
    {
        double s = Math.Clamp((i + 0.5) * m / n - 0.5, 0, m - 1);
        int lo = (int)s, hi = Math.Min(lo + 1, m - 1);
        return (lo, hi, (float)(s - lo));
    }

    /// <summary>Sets the pixels of rows [y0, y1) and columns [x0, x1), clipped to the image, to <paramref name="value"/>.</summary>
    public static void FillRectangle(Span<float> image /* [H, W, C] */, int height, int width, int channels, int y0, int y1, int x0, int x1, float value)
    {
        CheckImage(image.Length, nameof(image), height, width, channels);
        y0 = Math.Max(y0, 0);
        x0 = Math.Max(x0, 0);
        y1 = Math.Min(y1, height);
        x1 = Math.Min(x1, width);
        if (x1 <= x0) return;
        for (int y = y0; y < y1; y++)
            image.Slice((y * width + x0) * channels, (x1 - x0) * channels).Fill(value);
    }

    /// <summary>numpy's 'reflect' index for one step outside [0, n): -k ↦ k, n-1+k ↦ n-1-k.</summary>
    internal static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;

    private static void CheckImage(int length, string name, int height, int width, int channels)
    {
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"image dimensions must be positive; got {height}x{width}x{channels}");
        if (length < (long)height * width * channels)
            throw new ArgumentException($"{name} must hold {(long)height * width * channels} values for a {height}x{width}x{channels} image; got {length}", name);
    }

    private static void CheckShift(int height, int width, int dy, int dx, ImagePadding padding)
    {
        if (padding == ImagePadding.Reflect && (Math.Abs(dy) >= height || Math.Abs(dx) >= width))
            throw new ArgumentOutOfRangeException(nameof(dy),
                $"a reflected shift must be smaller than the image; got dy={dy}, dx={dx} for {height}x{width}");
    }
}
