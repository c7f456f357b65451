using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace Fovea.Tests.Imaging;

/// <summary>Writes picture files into a dataset folder for the <see cref="Fovea.Imaging.ImageDataset"/> tests.</summary>
internal static class PictureFolder
{
    /// <summary>A <paramref name="width"/> x <paramref name="height"/> picture of one colour, encoded in <paramref name="format"/>.</summary>
    public static byte[] Solid(int width, int height, SKColor colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        if (format == SKEncodedImageFormat.Bmp)
        {
            var rgb = new byte[width * height * 3];
            for (int i = 0; i < width * height; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (colour.Red, colour.Green, colour.Blue);
            return ImageLoaderTests.Bmp24(rgb, width, height);
        }
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(colour);
        return Encode(bitmap, format);
    }

    /// <summary>A grey PNG (one channel in the file, colour type 0).</summary>
    public static byte[] GreyPng(int width, int height, byte level)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(level, level, level));
        return Encode(bitmap, SKEncodedImageFormat.Png);
    }

    /// <summary>An RGBA PNG whose every pixel has the given colour and alpha.</summary>
    public static byte[] TranslucentPng(int width, int height, SKColor colour, byte alpha)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour.WithAlpha(alpha));
        return Encode(bitmap, SKEncodedImageFormat.Png);
    }

    /// <summary>A picture of <paramref name="outer"/> with a centred rectangle of <paramref name="inner"/>.</summary>
    public static byte[] Framed(int width, int height, int innerWidth, int innerHeight, SKColor outer, SKColor inner, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(outer);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = inner, IsAntialias = false })
            canvas.DrawRect(SKRect.Create((width - innerWidth) / 2, (height - innerHeight) / 2, innerWidth, innerHeight), paint);
        return Encode(bitmap, format);
    }

    /// <summary>The first half of a JPEG of random pixels: its header is sound, its data stops short.</summary>
    public static byte[] TruncatedJpeg()
    {
        var rgb = new byte[64 * 64 * 3];
        new Random(5).NextBytes(rgb);
        using SKBitmap bitmap = ImageLoaderTests.FromRgb(rgb, 64, 64);
        byte[] jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg);
        return jpeg[..(jpeg.Length / 2)];
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using SKData data = bitmap.Encode(format, 100) ?? throw new InvalidOperationException($"Skia cannot encode {format}");
        return data.ToArray();
    }

    /// <summary>Writes a file below <paramref name="root"/>, creating its folders.</summary>
    public static string Write(string root, string relative, byte[] bytes)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string Write(string root, string relative, string text) => Write(root, relative, Encoding.UTF8.GetBytes(text));

    /// <summary>A digest of every entry below <paramref name="root"/>: names, kinds, sizes, modification times and contents.</summary>
    public static string TreeHash(string root)
    {
        var text = new StringBuilder();
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                     .Order(StringComparer.Ordinal))
        {
            text.Append(Path.GetRelativePath(root, entry)).Append('|');
            if (File.Exists(entry))
                text.Append(new FileInfo(entry).Length).Append('|').Append(File.GetLastWriteTimeUtc(entry).Ticks).Append('|')
                    .Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry))));
            else
                text.Append("dir|").Append(Directory.GetLastWriteTimeUtc(entry).Ticks);
            text.Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
