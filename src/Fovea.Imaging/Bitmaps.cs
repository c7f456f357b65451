using SkiaSharp;

namespace Fovea.Imaging;

/// <summary>Conversions between Fovea's HWC byte images and Skia bitmaps, and PNG output.</summary>
internal static class Bitmaps
{
    /// <summary>
    /// An opaque RGBA bitmap from one HWC image of 1 (grey), 3 (RGB) or 4 (RGBA, alpha dropped) channels.
    /// </summary>
    public static SKBitmap FromHwc(ReadOnlySpan<byte> hwc, int width, int height, int channels)
    {
        if (channels is not (1 or 3 or 4))
            throw new ArgumentException($"channels must be 1, 3 or 4; got {channels}", nameof(channels));
        if (hwc.Length != width * height * channels)
            throw new ArgumentException($"an HWC image of {width}x{height}x{channels} needs {width * height * channels} bytes; got {hwc.Length}", nameof(hwc));

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Span<byte> rgba = bitmap.GetPixelSpan(); // rows are tightly packed: RowBytes == 4 * width for a fresh bitmap
        for (int p = 0, s = 0; p < width * height; p++, s += channels)
        {
            byte r = hwc[s];
            rgba[4 * p + 0] = r;
            rgba[4 * p + 1] = channels == 1 ? r : hwc[s + 1];
            rgba[4 * p + 2] = channels == 1 ? r : hwc[s + 2];
            rgba[4 * p + 3] = 255;
        }
        return bitmap;
    }

    /// <summary>The RGB bytes (HWC) of an RGBA8888 bitmap whose alpha is already opaque.</summary>
    public static byte[] ToHwcRgb(SKBitmap bitmap)
    {
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        CopyToHwc(bitmap, rgb, ColorMode.Rgb);
        return rgb;
    }

    /// <summary>
    /// Writes an opaque RGBA8888 bitmap as HWC bytes: RGB, or the BT.601 luma rounded to the nearest integer
    /// (the weights sum to 1000, so a grey pixel keeps its exact value).
    /// </summary>
    public static void CopyToHwc(SKBitmap bitmap, Span<byte> destination, ColorMode mode)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888)
            throw new ArgumentException($"bitmap must be Rgba8888; got {bitmap.ColorType}", nameof(bitmap));
        int width = bitmap.Width, height = bitmap.Height, channels = mode.Channels();
        if (destination.Length != width * height * channels)
            throw new ArgumentException($"destination must hold {width}x{height}x{channels} = {width * height * channels} bytes; got {destination.Length}", nameof(destination));
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = bitmap.GetPixelSpan(0, y)[..(4 * width)];
            Span<byte> output = destination.Slice(y * width * channels, width * channels);
            for (int x = 0; x < width; x++)
            {
                byte r = row[4 * x + 0], g = row[4 * x + 1], b = row[4 * x + 2];
                if (channels == 1)
                {
                    output[x] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
                }
                else
                {
                    output[3 * x + 0] = r;
                    output[3 * x + 1] = g;
                    output[3 * x + 2] = b;
                }
            }
        }
    }

    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"Skia could not encode a {bitmap.Width}x{bitmap.Height} {bitmap.ColorType} bitmap as PNG");
        return data.ToArray();
    }

    /// <summary>Writes a file, creating its folder: pictures go into run folders that may not exist yet.</summary>
    public static void WriteFile(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        File.WriteAllBytes(path, bytes);
    }
}
