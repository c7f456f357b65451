using System.Buffers.Binary;
using Fovea.Imaging;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;
using TempFolder = Fovea.Tests.Visualization.TempFolder;

namespace Fovea.Tests.Imaging;

public class ImageLoaderTests
{
    private const string Supported = "not a supported image (PNG, JPEG, BMP, GIF, WebP)";

    [Fact]
    public void Png_saved_at_4x_loads_back_to_the_exact_32x32_pixels()
    {
        using var temp = new TempFolder();
        var (images, _) = RandomImages(1);
        byte[] original = images[0].ToArray();
        string path = temp.Path("cat.png");

        ImageLoader.SavePng(original, 32, 32, path, scale: 4);

        using (SKBitmap saved = Decode(File.ReadAllBytes(path)))
        {
            Assert.Equal((128, 128), (saved.Width, saved.Height));
            Assert.Equal(new SKColor(original[0], original[1], original[2]), saved.GetPixel(3, 3)); // nearest-neighbour block
        }
        // Two 2x2 box halvings of 4x4 blocks of equal pixels give the pixels back.
        Assert.Equal(original, ImageLoader.LoadForModel(path));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, "photo.jpg", 6.0)]
    [InlineData(SKEncodedImageFormat.Webp, "photo.webp", 6.0)]
    [InlineData(SKEncodedImageFormat.Png, "photo.png", 0.5)]
    public void Lossy_and_lossless_formats_round_trip_a_smooth_image(SKEncodedImageFormat format, string name, double maxMeanError)
    {
        using var temp = new TempFolder();
        byte[] smooth = SmoothImage(32, 32);
        using SKBitmap bitmap = FromRgb(smooth, 32, 32);
        using SKData encoded = bitmap.Encode(format, 95);
        Assert.NotNull(encoded);
        string path = temp.Path(name);
        File.WriteAllBytes(path, encoded.ToArray());

        byte[] loaded = ImageLoader.LoadForModel(path);
        Assert.Equal(32 * 32 * 3, loaded.Length);
        double meanError = smooth.Zip(loaded, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanError <= maxMeanError, $"{format}: mean error {meanError:F2}");
    }

    [Fact]
    public void Bmp_is_decoded_and_centre_cropped()
    {
        using var temp = new TempFolder();
        // 6x4 pixels, each with its own colour; the centre square is columns 1..4.
        var rgb = new byte[6 * 4 * 3];
        for (int i = 0; i < 6 * 4; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = ((byte)(10 * i), (byte)(255 - 10 * i), (byte)(i * 7 % 256));
        string path = temp.Path("photo.bmp");
        File.WriteAllBytes(path, Bmp24(rgb, 6, 4));

        byte[] loaded = ImageLoader.LoadForModel(path, size: 4);

        for (int y = 0; y < 4; y++)
            Assert.Equal(rgb.AsSpan(3 * (y * 6 + 1), 4 * 3).ToArray(), loaded.AsSpan(3 * y * 4, 4 * 3).ToArray());
    }

    [Fact]
    public void Gif_is_decoded()
    {
        using var temp = new TempFolder();
        byte[][] palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
        string path = temp.Path("tiny.gif");
        File.WriteAllBytes(path, Gif2x2(palette));

        byte[] loaded = ImageLoader.LoadForModel(path, size: 2);

        Assert.Equal(palette.SelectMany(c => c).ToArray(), loaded);
    }

    [Fact]
    public void Exif_orientation_is_applied_before_cropping()
    {
        using var temp = new TempFolder();
        // Stored 32x16: left half red, right half blue. EXIF orientation 6 says "rotate 90° clockwise to view",
        // which puts red on top; the centre crop then keeps red above blue (unrotated it would be red left of blue).
        var rgb = new byte[32 * 16 * 3];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 32; x++)
                (rgb[3 * (y * 32 + x)], rgb[3 * (y * 32 + x) + 2]) = x < 16 ? ((byte)255, (byte)0) : ((byte)0, (byte)255);
        using SKBitmap bitmap = FromRgb(rgb, 32, 16);
        using SKData jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        string path = temp.Path("phone.jpg");
        File.WriteAllBytes(path, WithExifOrientation(jpeg.ToArray(), orientation: 6));

        byte[] loaded = ImageLoader.LoadForModel(path, size: 16);

        Assert.True(loaded[3 * (2 * 16 + 8)] > 200 && loaded[3 * (2 * 16 + 8) + 2] < 60, "top middle should be red");
        Assert.True(loaded[3 * (13 * 16 + 8)] < 60 && loaded[3 * (13 * 16 + 8) + 2] > 200, "bottom middle should be blue");
    }

    [Fact]
    public void Large_photos_are_area_averaged_not_aliased()
    {
        using var temp = new TempFolder();
        // A one-pixel black/white checkerboard: a point-sampling resize would give black or white, averaging gives grey.
        const int width = 1200, height = 900;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                rgb.AsSpan(3 * (y * width + x), 3).Fill((x + y) % 2 == 0 ? (byte)255 : (byte)0);
        string path = temp.Path("checker.png");
        ImageLoader.SavePng(rgb, width, height, path);

        byte[] loaded = ImageLoader.LoadForModel(path);

        Assert.All(loaded, v => Assert.InRange(v, 110, 145));
    }

    [Fact]
    public void A_text_file_gets_a_one_line_message_naming_it()
    {
        using var temp = new TempFolder();
        string path = temp.Path("notes.png");
        File.WriteAllText(path, "this is not a picture\n");
        AssertOneLineError($"{path}: {Supported}", () => ImageLoader.LoadForModel(path));

        string empty = temp.Path("empty.jpg");
        File.WriteAllBytes(empty, []);
        AssertOneLineError($"{empty}: {Supported}", () => ImageLoader.LoadForModel(empty));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "cut.png")]
    [InlineData(SKEncodedImageFormat.Jpeg, "cut.jpg")]
    public void A_truncated_file_gets_a_one_line_message_naming_it(SKEncodedImageFormat format, string name)
    {
        using var temp = new TempFolder();
        var (images, _) = RandomImages(1, side: 64);
        using SKBitmap bitmap = FromRgb(images[0].ToArray(), 64, 64);
        using SKData encoded = bitmap.Encode(format, 90);
        byte[] bytes = encoded.ToArray();
        string path = temp.Path(name);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<FoveaException>(() => ImageLoader.LoadForModel(path));
        Assert.StartsWith($"{path}: image data is truncated", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_file_or_a_folder_gets_a_one_line_message_naming_it()
    {
        using var temp = new TempFolder();
        string missing = temp.Path("cat.png");
        AssertOneLineError($"{missing}: no such file", () => ImageLoader.LoadForModel(missing));
        AssertOneLineError($"{temp.Root}: is a folder, not an image file", () => ImageLoader.LoadForModel(temp.Root));
    }

    [Fact]
    public void A_header_claiming_too_many_pixels_is_refused_before_decoding()
    {
        using var temp = new TempFolder();
        // A BMP header for 10000x6000 (60 megapixels) followed by a few bytes of pixel data.
        byte[] header = Bmp24(new byte[3 * 4], 2, 2);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(18), 10_000);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(22), 6_000);
        string path = temp.Path("huge.bmp");
        File.WriteAllBytes(path, header);

        AssertOneLineError($"{path}: image is 10000x6000 pixels; images over 50 megapixels are refused", () => ImageLoader.LoadForModel(path));
    }

    [Fact]
    public void A_header_claiming_more_pixels_than_the_file_can_hold_is_refused_before_decoding()
    {
        // Found by fuzzing: a 45-byte GIF whose logical screen is 65535x556 decoded "successfully", after Skia had
        // allocated 36 megapixels (146 MB of RGBA, three times over with the orientation and crop copies).
        using var temp = new TempFolder();
        byte[] gif = Gif2x2([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]);
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), 65535);
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), 556);
        string path = temp.Path("screen.gif");
        File.WriteAllBytes(path, gif);

        AssertOneLineError($"{path}: image header claims 65535x556 pixels, more than a file of 45 bytes holds (over 1,024 pixels per byte); the file is corrupt",
            () => ImageLoader.LoadForModel(path));

        // Up to 2048x2048 the file size does not matter: 16 MB at most.
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), 2048);
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), 2048);
        File.WriteAllBytes(path, gif);
        Assert.Equal(32 * 32 * 3, ImageLoader.LoadForModel(path).Length);
    }

    [Fact]
    public void A_large_flat_picture_is_compressible_but_not_refused()
    {
        // 3000x3000 of one colour: a few hundred pixels per byte as PNG, well within what a real file holds.
        using var temp = new TempFolder();
        var rgb = new byte[3000 * 3000 * 3];
        rgb.AsSpan().Fill(200);
        string path = temp.Path("flat.png");
        ImageLoader.SavePng(rgb, 3000, 3000, path);
        Assert.True(new FileInfo(path).Length * ImageLoader.MaxPixelsPerByte > 3000 * 3000, $"{new FileInfo(path).Length} bytes");

        Assert.All(ImageLoader.LoadForModel(path), v => Assert.Equal(200, v));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ImageLoader.LoadForModel("x.png", size: 0));
        Assert.Contains("size must be positive; got 0", e.Message);
        var a = Assert.Throws<ArgumentException>(() => ImageLoader.EncodePng(new byte[10], 2, 2));
        Assert.Contains("hwc length must be width*height*channels", a.Message);
    }

    private static void AssertOneLineError(string expected, Action load)
    {
        var e = Assert.Throws<FoveaException>(load);
        Assert.Equal(expected, e.Message);
    }

    /// <summary>Gentle gradients, which every codec keeps close to the original at quality 95.</summary>
    private static byte[] SmoothImage(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                rgb[i] = (byte)(40 + 5 * x);
                rgb[i + 1] = (byte)(60 + 4 * y);
                rgb[i + 2] = (byte)(200 - 2 * (x + y));
            }
        return rgb;
    }

    internal static SKBitmap FromRgb(byte[] rgb, int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                bitmap.SetPixel(x, y, new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
            }
        return bitmap;
    }

    /// <summary>
    /// The JPEG with an EXIF APP1 segment after its SOI marker holding one tag, Orientation (0x0112), as a
    /// little-endian TIFF structure: header, one IFD with one SHORT entry, no next IFD.
    /// </summary>
    internal static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, // little-endian TIFF, first IFD at offset 8
            0x01, 0x00,                                               // one entry
            0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,           // tag 0x0112, type SHORT, count 1
            (byte)orientation, (byte)(orientation >> 8), 0x00, 0x00,  // the value, padded to 4 bytes
            0x00, 0x00, 0x00, 0x00,                                   // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        Assert.Equal((0xFF, 0xD8), (jpeg[0], jpeg[1]));
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>
    /// A 24-bit BMP written by hand (Skia has no BMP encoder): BITMAPFILEHEADER, BITMAPINFOHEADER, then rows
    /// bottom-up in BGR order, each padded to a multiple of 4 bytes.
    /// </summary>
    internal static byte[] Bmp24(byte[] rgb, int width, int height)
    {
        int rowBytes = (3 * width + 3) / 4 * 4;
        int dataOffset = 14 + 40;
        var bmp = new byte[dataOffset + rowBytes * height];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), dataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);       // header size
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);   // positive: bottom-up
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);        // planes
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);       // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), rowBytes * height);
        for (int y = 0; y < height; y++)
        {
            int row = dataOffset + (height - 1 - y) * rowBytes;
            for (int x = 0; x < width; x++)
            {
                int s = 3 * (y * width + x);
                bmp[row + 3 * x] = rgb[s + 2];
                bmp[row + 3 * x + 1] = rgb[s + 1];
                bmp[row + 3 * x + 2] = rgb[s];
            }
        }
        return bmp;
    }

    /// <summary>
    /// A 2x2 GIF89a written by hand (Skia has no GIF encoder), pixels = palette entries 0, 1, 2, 3.
    /// The LZW minimum code size is 7, so codes are 8 bits wide and the compressed stream is byte-aligned:
    /// clear (128), 0, 1, 2, 3, end (129). With no repeats the encoder never needs a dictionary code, and the
    /// code width never grows (that happens at 256).
    /// </summary>
    internal static byte[] Gif2x2(byte[][] palette)
    {
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        gif.AddRange([2, 0, 2, 0]);         // logical screen 2x2
        gif.AddRange([0x81, 0, 0]);         // global colour table of 2^(1+1) = 4 entries; background 0; aspect 0
        foreach (byte[] colour in palette) gif.AddRange(colour);
        gif.AddRange([0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0]); // image descriptor at (0,0), 2x2, no local table
        gif.Add(7);                          // LZW minimum code size
        gif.AddRange([6, 128, 0, 1, 2, 3, 129]); // one data sub-block of 6 bytes
        gif.Add(0);                          // block terminator
        gif.Add(0x3B);                       // trailer
        return gif.ToArray();
    }
}
