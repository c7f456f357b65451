namespace Fovea.Data;

/// <summary>
/// A set of 8-bit images in NHWC order (Keras's <c>x_train</c>: <c>(50000, 32, 32, 3)</c>).
/// Pixels stay bytes in memory, a quarter of the float size; the model scales them to [0, 1] batch by batch.
/// </summary>
public sealed class ImageSet
{
    public ImageSet(byte[] pixels, int count, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be non-negative; got {count}");
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"image dimensions must be positive; got {height}x{width}x{channels}");
        if (pixels.LongLength != (long)count * height * width * channels)
            throw new ArgumentException($"pixels length must be {(long)count * height * width * channels} for {count} images of {height}x{width}x{channels}; got {pixels.LongLength}", nameof(pixels));
        Pixels = pixels;
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
    }

    public byte[] Pixels { get; }
    public int Count { get; }
    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }
    public int ImageSize => Height * Width * Channels;

    /// <summary>The NumPy-style shape, e.g. <c>(50000, 32, 32, 3)</c>.</summary>
    public Shape Shape => new(Count, Height, Width, Channels);

    /// <summary>Shape of one image: <c>(32, 32, 3)</c>.</summary>
    public Shape ImageShape => new(Height, Width, Channels);

    /// <summary>The pixels of image <paramref name="index"/>, HWC.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"index must be in [0, {Count}); got {index}");
            return Pixels.AsSpan(index * ImageSize, ImageSize);
        }
    }

    /// <summary>The first <paramref name="count"/> images (a copy).</summary>
    public ImageSet Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        return new ImageSet(Pixels.AsSpan(0, count * ImageSize).ToArray(), count, Height, Width, Channels);
    }
}
