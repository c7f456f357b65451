using SkiaSharp;

namespace Fovea.Imaging;

/// <summary>
/// Turns a user's picture (PNG, JPEG, BMP, GIF or WebP, any size) into the model's input: centre-cropped to the
/// target's aspect ratio, resized to it, HWC bytes: the layout of one image in an ImageSet. <c>fovea predict</c>
/// and <see cref="ImageDataset"/> both come through here, so a model sees a picture the same way in training and
/// in prediction.
/// </summary>
public static class ImageLoader
{
    /// <summary>Largest picture decoded; its header is checked first, so a hostile file cannot make us allocate gigabytes.</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>
    /// Most pixels per byte of file decoded for pictures over <see cref="SmallImagePixels"/>. Real pictures need far
    /// more than a byte per thousand pixels (a photo about a byte per ten; a flat 50-megapixel RGB PNG still about
    /// 150 KB); a header that claims more describes data the file does not have, and believing it would allocate
    /// hundreds of megabytes for a file of a few dozen bytes. Only synthetic pictures compress further (a blank page
    /// at one bit per pixel, a single-colour WebP); they are refused.
    /// </summary>
    public const int MaxPixelsPerByte = 1024;

    /// <summary>Pictures up to 2048x2048 are decoded whatever their file size: 16 MB of RGBA at most.</summary>
    public const long SmallImagePixels = 2048 * 2048;

    /// <summary>Largest file read; a 50-megapixel PNG compresses well below this.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    private const string Supported = "PNG, JPEG, BMP, GIF, WebP";

    private static readonly SKEncodedImageFormat[] SupportedFormats =
        [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif, SKEncodedImageFormat.Webp];

    /// <summary>
    /// Decodes <paramref name="path"/> and returns <c>size * size * 3</c> bytes, RGB, HWC: <see cref="Load(string, int, int, ColorMode)"/> for a
    /// square RGB model input.
    /// </summary>
    /// <exception cref="FoveaException">The file is missing, unreadable, not a supported image, truncated or too
    /// large; the one-line message starts with the path.</exception>
    public static byte[] LoadForModel(string path, int size = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"size must be positive; got {size}");

        return LoadForModel(ReadFile(path), path, size);
    }

    /// <summary>
    /// Decodes <paramref name="path"/> and returns <c>height * width * channels</c> bytes, HWC, with 3 channels for
    /// <see cref="ColorMode.Rgb"/> and 1 for <see cref="ColorMode.Grayscale"/>. EXIF orientation is applied;
    /// transparency is flattened onto white; an animation gives its first frame; the largest centred region of the
    /// target's aspect ratio is kept (Keras's <c>crop_to_aspect_ratio</c>), so shapes are not stretched.
    /// </summary>
    /// <exception cref="FoveaException">The file is missing, unreadable, not a supported image, truncated or too
    /// large; the one-line message starts with the path.</exception>
    public static byte[] Load(string path, int height, int width, ColorMode colorMode = ColorMode.Rgb)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int channels = CheckTarget(height, width, colorMode);
        var pixels = new byte[height * width * channels];
        Load(ReadFile(path), path, height, width, colorMode, pixels);
        return pixels;
    }

    /// <summary>
    /// <see cref="LoadForModel(string, int)"/> on a file's bytes already in memory; messages start with
    /// <paramref name="source"/>. The seam the fuzz tests use.
    /// </summary>
    internal static byte[] LoadForModel(byte[] bytes, string source, int size)
    {
        var pixels = new byte[size * size * 3];
        Load(bytes, source, size, size, ColorMode.Rgb, pixels);
        return pixels;
    }

    /// <summary><see cref="Load(string, int, int, ColorMode)"/> into <paramref name="destination"/> (<c>height * width * channels</c> bytes).</summary>
    internal static void Load(byte[] bytes, string source, int height, int width, ColorMode colorMode, Span<byte> destination)
    {
        // Each step returns its input when it has nothing to do (a 32x32 picture for a 32x32 model is neither
        // cropped nor resized): without those copies and the canvas for opaque pictures, a 32x32 PNG or JPEG took
        // 145 instead of 205 us of CPU here.
        SKBitmap image = Decode(bytes, source);
        try
        {
            Replace(ref image, CropToAspect(image, height, width));
            Replace(ref image, Resize(image, height, width));
            Bitmaps.CopyToHwc(image, destination, colorMode);
        }
        finally
        {
            image.Dispose();
        }
    }

    private static void Replace(ref SKBitmap image, SKBitmap next)
    {
        if (ReferenceEquals(image, next)) return;
        image.Dispose();
        image = next;
    }

    /// <summary>Checks a target size and colour mode and returns its channels.</summary>
    internal static int CheckTarget(int height, int width, ColorMode colorMode)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"image size must be positive; got {height}x{width}");
        if ((long)height * width > MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(height), $"image size must be at most {MaxPixels / 1_000_000} megapixels; got {height}x{width}");
        return colorMode.Channels();
    }

    /// <summary>Reads a whole picture file, refusing one over <see cref="MaxFileBytes"/> before reading it.</summary>
    /// <exception cref="FoveaException">The file is missing, a folder, too large or unreadable.</exception>
    internal static byte[] ReadFile(string path)
    {
        try
        {
            if (Directory.Exists(path)) throw new FoveaException($"{path}: is a folder, not an image file");
            // The size is taken from the open file, so a symbolic link is judged by its target, not by itself.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (stream.Length > MaxFileBytes)
                throw new FoveaException($"{path}: file is {stream.Length:N0} bytes; images over {MaxFileBytes:N0} bytes are refused");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FoveaException($"{path}: no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) // NotSupported: a pipe or device has no length
        {
            throw new FoveaException($"{path}: cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// Writes an HWC image (1, 3 or 4 channels, inferred from the length) as a PNG, each pixel enlarged to a
    /// <paramref name="scale"/> x <paramref name="scale"/> block. With scale 4 a 32x32 CIFAR image becomes the
    /// 128x128 file a user might hand to <c>fovea predict</c>, and <see cref="LoadForModel(string, int)"/> gives back the same
    /// 32x32 pixels (each 2x2 halving averages four equal values).
    /// </summary>
    public static void SavePng(byte[] hwc, int width, int height, string path, int scale = 1) =>
        Bitmaps.WriteFile(path, EncodePng(hwc, width, height, scale));

    /// <summary>The PNG bytes <see cref="SavePng"/> writes.</summary>
    public static byte[] EncodePng(ReadOnlySpan<byte> hwc, int width, int height, int scale = 1)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"width and height must be positive; got {width}x{height}");
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be positive; got {scale}");
        if (hwc.Length % (width * height) != 0)
            throw new ArgumentException($"hwc length must be width*height*channels ({width}x{height}x1, 3 or 4); got {hwc.Length}", nameof(hwc));
        int channels = hwc.Length / (width * height);

        using SKBitmap source = Bitmaps.FromHwc(hwc, width, height, channels);
        if (scale == 1) return Bitmaps.EncodePng(source);
        using SKBitmap scaled = source.Resize(new SKImageInfo(width * scale, height * scale, SKColorType.Rgba8888, SKAlphaType.Opaque),
            new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
        return Bitmaps.EncodePng(scaled);
    }

    private static SKBitmap Decode(byte[] bytes, string path)
    {
        using SKData data = SKData.CreateCopy(bytes);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null || Array.IndexOf(SupportedFormats, codec.EncodedFormat) < 0)
            throw new FoveaException($"{path}: not a supported image ({Supported})");

        SKImageInfo header = codec.Info;
        if (header.Width <= 0 || header.Height <= 0 || (long)header.Width * header.Height > MaxPixels)
            throw new FoveaException($"{path}: image is {header.Width}x{header.Height} pixels; images over {MaxPixels / 1_000_000} megapixels are refused");
        long pixels = (long)header.Width * header.Height;
        if (pixels > SmallImagePixels && pixels > (long)bytes.Length * MaxPixelsPerByte)
            throw new FoveaException(
                $"{path}: image header claims {header.Width}x{header.Height} pixels, more than a file of {bytes.Length:N0} bytes holds (over {MaxPixelsPerByte:N0} pixels per byte); the file is corrupt");

        // Decoded straight to sRGB RGBA so an embedded colour profile (a wide-gamut phone photo) is honoured.
        var info = new SKImageInfo(header.Width, header.Height, SKColorType.Rgba8888, SKAlphaType.Premul, SKColorSpace.CreateSrgb());
        // An opaque picture stored upright needs no flattening or turning: it is decoded straight into the result
        // (the bytes FlattenAndOrient's canvas would copy unchanged).
        bool opaqueUpright = header.AlphaType == SKAlphaType.Opaque && codec.EncodedOrigin == SKEncodedOrigin.TopLeft;
        SKBitmap? decoded = new SKBitmap(opaqueUpright ? new SKImageInfo(header.Width, header.Height, SKColorType.Rgba8888, SKAlphaType.Opaque) : info);
        try
        {
            SKCodecResult result = codec.GetPixels(info, decoded.GetPixels());
            if (result == SKCodecResult.IncompleteInput)
                throw new FoveaException($"{path}: image data is truncated ({codec.EncodedFormat}, {bytes.Length:N0} bytes)");
            if (result != SKCodecResult.Success)
                throw new FoveaException($"{path}: not a supported image ({Supported}); decoding failed: {result}");
            if (!opaqueUpright) return FlattenAndOrient(decoded, codec.EncodedOrigin);
            (SKBitmap upright, decoded) = (decoded, null);
            return upright;
        }
        finally
        {
            decoded?.Dispose();
        }
    }

    /// <summary>
    /// An opaque copy: transparent pixels over white (how a viewer shows a cut-out icon), turned upright per the
    /// file's EXIF orientation (a phone photo of a cat lying on its side is not what the user meant).
    /// </summary>
    private static SKBitmap FlattenAndOrient(SKBitmap decoded, SKEncodedOrigin origin)
    {
        bool swapsSides = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int width = swapsSides ? decoded.Height : decoded.Width;
        int height = swapsSides ? decoded.Width : decoded.Height;
        var upright = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(upright);
        canvas.Clear(SKColors.White);
        canvas.SetMatrix(OrientationMatrix(origin, decoded.Width, decoded.Height));
        canvas.DrawBitmap(decoded, 0, 0);
        return upright;
    }

    /// <summary>Maps the stored pixels (w x h) onto the upright image, for each of the eight EXIF orientations.</summary>
    private static SKMatrix OrientationMatrix(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),     // mirrored horizontally
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1), // rotated 180°
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),   // mirrored vertically
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),       // transposed
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),     // rotated 90° clockwise
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1), // transversed
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),   // rotated 90° anticlockwise
        _ => SKMatrix.Identity,
    };

    /// <summary>
    /// The largest centred region of the target's aspect ratio (a square for a square model input): the model sees
    /// images of one shape, and stretching would distort what is in them. Returns <paramref name="image"/> itself
    /// when it has that aspect ratio already.
    /// </summary>
    private static SKBitmap CropToAspect(SKBitmap image, int height, int width)
    {
        // Compare w/h with width/height in integers; round the cropped side to the nearest pixel.
        int cropWidth = image.Width, cropHeight = image.Height;
        if ((long)image.Width * height > (long)image.Height * width)
            cropWidth = (int)Math.Clamp(((long)image.Height * width * 2 + height) / (2L * height), 1, image.Width);
        else
            cropHeight = (int)Math.Clamp(((long)image.Width * height * 2 + width) / (2L * width), 1, image.Height);
        if (cropWidth == image.Width && cropHeight == image.Height) return image;
        var cropped = new SKBitmap(new SKImageInfo(cropWidth, cropHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        if (!image.ExtractSubset(cropped, SKRectI.Create((image.Width - cropWidth) / 2, (image.Height - cropHeight) / 2, cropWidth, cropHeight)))
            throw new InvalidOperationException($"could not crop a {image.Width}x{image.Height} image to {cropWidth}x{cropHeight}");
        // ExtractSubset shares pixels with the source; a copy lets the source be disposed.
        SKBitmap copy = cropped.Copy();
        cropped.Dispose();
        return copy;
    }

    /// <summary>
    /// Resizes an image of about the target's aspect ratio to <paramref name="width"/> x <paramref name="height"/>:
    /// halving with a 2x2 box filter while it is more than twice the target, then one Mitchell cubic step. A single
    /// cubic step from 4000 pixels to 32 would read 4x4 of every 125x125 source pixels and alias badly; repeated
    /// halving averages every source pixel. Returns <paramref name="image"/> itself when it has the target size.
    /// </summary>
    private static SKBitmap Resize(SKBitmap image, int height, int width)
    {
        var box = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None); // at exactly half size, linear = 2x2 box
        var mitchell = new SKSamplingOptions(SKCubicResampler.Mitchell);
        SKBitmap current = image; // returned as is when it already has the target size; intermediates are disposed
        while (current.Width >= 2 * width && current.Height >= 2 * height)
        {
            SKBitmap next = current.Resize(new SKImageInfo(current.Width / 2, current.Height / 2, SKColorType.Rgba8888, SKAlphaType.Opaque), box);
            if (current != image) current.Dispose();
            current = next;
        }
        if (current.Width == width && current.Height == height) return current;
        SKBitmap final = current.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), mitchell);
        if (current != image) current.Dispose();
        return final;
    }
}
