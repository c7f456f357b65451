using Fovea.Tests.Imaging;
using SkiaSharp;

namespace Fovea.Tests.Cli;

/// <summary>
/// A folder of class folders as a user has them: pictures of mixed formats, sizes and aspect ratios, grey and RGBA
/// ones, one truncated JPEG and one text file named like a picture (the two the loader must skip), and files that are
/// not pictures at all (ignored). Each class is one colour with some noise, so a network can learn it in a few epochs.
/// </summary>
internal static class PictureDataset
{
    public static readonly string[] Classes = ["blue", "green", "red"];

    private static readonly SKColor[] Colours = [new(30, 60, 200), new(30, 170, 50), new(210, 40, 40)];

    private static readonly SKEncodedImageFormat[] Formats = [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp];

    /// <summary>The two files the report must list as skipped.</summary>
    public static readonly string[] BadFiles = ["green/broken.jpg", "red/notes.png"];

    /// <summary>Writes <paramref name="perClass"/> pictures per class under <paramref name="root"/>, plus the odd files; returns the readable pictures' paths.</summary>
    public static List<string> Write(string root, int perClass)
    {
        var written = new List<string>();
        var random = new Random(3);
        for (int c = 0; c < Classes.Length; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                var format = Formats[(c + i) % Formats.Length];
                int width = 20 + random.Next(50), height = 20 + random.Next(50);
                SKColor colour = Jitter(Colours[c], random);
                string extension = format switch { SKEncodedImageFormat.Jpeg => "jpg", SKEncodedImageFormat.Webp => "webp", SKEncodedImageFormat.Bmp => "bmp", _ => "png" };
                written.Add(PictureFolder.Write(root, $"{Classes[c]}/{i:000}.{extension}", PictureFolder.Solid(width, height, colour, format)));
            }
        }
        written.Add(PictureFolder.Write(root, "blue/grey.png", PictureFolder.GreyPng(30, 40, 60)));
        written.Add(PictureFolder.Write(root, "red/translucent.png", PictureFolder.TranslucentPng(36, 24, Colours[2], alpha: 200)));
        written.Add(PictureFolder.Write(root, "green/tiny.gif", ImageLoaderTests.Gif2x2([[30, 170, 50], [30, 170, 50], [30, 170, 50], [30, 170, 50]])));
        PictureFolder.Write(root, BadFiles[0], PictureFolder.TruncatedJpeg());
        PictureFolder.Write(root, BadFiles[1], "a text file named like a picture");
        PictureFolder.Write(root, "red/README.txt", "not a picture, and not named like one");
        PictureFolder.Write(root, "labels.csv", "file,label\n");
        return written;
    }

    private static SKColor Jitter(SKColor colour, Random random)
    {
        byte Shift(byte v) => (byte)Math.Clamp(v + random.Next(-25, 26), 0, 255);
        return new SKColor(Shift(colour.Red), Shift(colour.Green), Shift(colour.Blue));
    }
}
