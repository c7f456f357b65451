using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Fovea.Imaging;
using Fovea.Tests.Fuzzing;
using SkiaSharp;
using Xunit.Abstractions;

namespace Fovea.Tests.Imaging;

/// <summary>
/// <c>fovea predict</c>'s image path on hostile input (issue requirement: at least 10,000 cases in CI, here 10,000
/// per format): tiny valid PNG, JPEG, WebP, GIF and BMP files, mutated, through <see cref="ImageLoader"/>'s decoding,
/// orientation, crop and resize. Every case must give 32x32x3 bytes or a one-line <see cref="FoveaException"/>.
/// </summary>
public sealed partial class ImageLoaderFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int DefaultSeed = 20_251_220;

    public enum Format { Png, Jpeg, WebP, Gif, Bmp }

    /// <summary>
    /// Small valid files of one format, a few hundred bytes at most, so a case costs a fraction of a millisecond;
    /// with variants that reach more of the loader (EXIF orientation, transparency, grey, lossless, top-down rows).
    /// </summary>
    private static byte[][] Samples(Format format)
    {
        var rgb = new byte[8 * 6 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 37 % 256);
        using SKBitmap bitmap = ImageLoaderTests.FromRgb(rgb, 8, 6);
        byte[] Encode(SKBitmap image, SKEncodedImageFormat encoding, int quality)
        {
            using SKData data = image.Encode(encoding, quality);
            return data.ToArray();
        }
        byte[][] palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
        switch (format)
        {
            case Format.Png:
                using (SKBitmap grey = bitmap.Copy(SKColorType.Gray8))
                using (SKBitmap translucent = bitmap.Copy())
                {
                    translucent.SetPixel(1, 1, new SKColor(10, 20, 30, 40));
                    return [Encode(bitmap, SKEncodedImageFormat.Png, 100), Encode(grey, SKEncodedImageFormat.Png, 100), Encode(translucent, SKEncodedImageFormat.Png, 100)];
                }
            case Format.Jpeg:
                byte[] jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg, 80);
                return [jpeg, ImageLoaderTests.WithExifOrientation(jpeg, orientation: 6)];
            case Format.WebP:
                return [Encode(bitmap, SKEncodedImageFormat.Webp, 80), Encode(bitmap, SKEncodedImageFormat.Webp, 100)]; // lossy VP8, lossless VP8L
            case Format.Gif:
                byte[] gif = ImageLoaderTests.Gif2x2(palette);
                // The same with a graphic control extension making palette entry 0 transparent, before the image descriptor.
                int descriptor = Array.IndexOf(gif, (byte)0x2C, 13 + 3 * 4);
                byte[] transparent = [.. gif[..descriptor], 0x21, 0xF9, 4, 0x01, 0, 0, 0, 0, .. gif[descriptor..]];
                return [gif, transparent];
            default:
                byte[] bottomUp = ImageLoaderTests.Bmp24(rgb[..(3 * 4 * 3)], 4, 3);
                byte[] topDown = (byte[])bottomUp.Clone();
                BinaryPrimitives.WriteInt32LittleEndian(topDown.AsSpan(22), -3); // the same rows, read top-down
                return [bottomUp, topDown];
        }
    }

    private static object? Load(byte[] file)
    {
        byte[] hwc = ImageLoader.LoadForModel(file, "fuzz.img", 32);
        return hwc.Length == 32 * 32 * 3 ? hwc : throw new InvalidOperationException($"decoded {hwc.Length} bytes, not 32x32x3");
    }

    [Theory]
    [InlineData(Format.Png)]
    [InlineData(Format.Jpeg)]
    [InlineData(Format.WebP)]
    [InlineData(Format.Gif)]
    [InlineData(Format.Bmp)]
    public void Mutated_images_end_in_32x32_pixels_or_a_clean_rejection(Format format)
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + (int)format), FuzzHarness.CasesFromEnvironment(Cases), Samples(format), Load,
            new FuzzOptions { Name = $"image-{format.ToString().ToLowerInvariant()}", Generate = Generate, Categorize = Category, Log = output.WriteLine });

        Assert.True(report.Cases >= Cases);
        Assert.True(report.Valid > Cases / 20, $"only {report.Valid} cases decoded: the mutations are too destructive to test acceptance");
        Assert.True(report.RejectionsByCategory.Count >= 2, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    /// <summary>The default category, with "640x480" folded to "#x#" like other numbers.</summary>
    private static string Category(Exception e) => FuzzReport.DefaultCategory(new FoveaException(Dimensions().Replace(e.Message, "#x#")));

    [GeneratedRegex(@"\b\d+x\d+\b")]
    private static partial Regex Dimensions();

    /// <summary>Raw mutations for every format; for PNG, half the cases mutate one chunk and repair its CRC, so libpng's checksum does not stop them.</summary>
    private static byte[] Generate(Mutator m, IReadOnlyList<byte[]> samples)
    {
        byte[] sample = samples[m.Random.Next(samples.Count)];
        return IsPng(sample) && m.Random.Next(2) == 0 ? MutatePngChunk(m, sample) : m.Mutate(sample, samples);
    }

    private static bool IsPng(byte[] file) => file.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']);

    /// <summary>Widths and heights around the 50-megapixel cap and past it, and the degenerate ones.</summary>
    private static readonly uint[] InterestingSides = [0, 1, 2, 7, 8, 9, 32, 7071, 7072, 50_000_000, 65_535, 65_536, int.MaxValue, 0x8000_0000, uint.MaxValue];

    private static byte[] MutatePngChunk(Mutator m, byte[] png)
    {
        // Chunks after the 8-byte signature: length (4, big-endian), type (4), data, CRC-32 of type and data (4).
        var chunks = new List<(int At, int Length)>();
        for (int at = 8; at + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            chunks.Add((at, length));
            at += 12 + length;
        }
        var (start, dataLength) = chunks[m.Random.Next(chunks.Count)];
        byte[] type = png[(start + 4)..(start + 8)];
        byte[] data = png[(start + 8)..(start + 8 + dataLength)];
        if (type.AsSpan().SequenceEqual("IHDR"u8) && m.Random.Next(2) == 0)
        {
            // width, height, bit depth, colour type, compression, filter, interlace
            int field = m.Random.Next(4);
            if (field < 2) BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4 * field), InterestingSides[m.Random.Next(InterestingSides.Length)]);
            else data[8 + m.Random.Next(5)] = (byte)m.Random.Next(20);
        }
        else
        {
            data = m.Mutate(data);
        }
        byte[] chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        type.CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32([.. type, .. data]));
        return [.. png.AsSpan(0, start), .. chunk, .. png.AsSpan(start + 12 + dataLength)];
    }

    /// <summary>PNG's CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320), bit by bit; inputs are a few hundred bytes.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1;
        }
        return ~crc;
    }
}
