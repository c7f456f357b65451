using Fovea.Data;
using Fovea.Training;
using SkiaSharp;

namespace Fovea.Tests.Visualization;

/// <summary>Small synthetic inputs for the picture tests, and checks on the PNGs they produce.</summary>
internal static class TestPictures
{
    public static readonly string[] Cifar10Classes =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary><paramref name="count"/> random 32x32 RGB images and labels, reproducible from the seed.</summary>
    public static (ImageSet Images, int[] Labels) RandomImages(int count, int seed = 1, int side = 32, int channels = 3)
    {
        var random = new Random(seed);
        var pixels = new byte[count * side * side * channels];
        random.NextBytes(pixels);
        int[] labels = Enumerable.Range(0, count).Select(_ => random.Next(Cifar10Classes.Length)).ToArray();
        return (new ImageSet(pixels, count, side, side, channels), labels);
    }

    /// <summary>Softmax-like rows whose argmax is the true label for even images and (label + 1) % 10 for odd ones.</summary>
    public static float[] Probabilities(int[] labels, int classes = 10)
    {
        var probabilities = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            int top = i % 2 == 0 ? labels[i] : (labels[i] + 1) % classes;
            for (int c = 0; c < classes; c++) probabilities[i * classes + c] = c == top ? 0.55f : 0.05f;
        }
        return probabilities;
    }

    public static History History(int epochs, bool withValidation = true)
    {
        var history = new History();
        for (int e = 1; e <= epochs; e++)
            history.Add(new EpochLog(e, 1.5 / e, 0.4 + 0.04 * e, withValidation ? 1.2 + 0.02 * e : null, withValidation ? 0.45 + 0.02 * e : null, 20 + e));
        return history;
    }

    public static SKBitmap Decode(byte[] png)
    {
        SKBitmap? bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    /// <summary>Variance of the luminance over all pixels: 0 for a blank picture.</summary>
    public static double Variance(SKBitmap bitmap)
    {
        double sum = 0, sumSquares = 0;
        int n = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                double l = 0.2126 * c.Red + 0.7152 * c.Green + 0.0722 * c.Blue;
                sum += l;
                sumSquares += l * l;
                n++;
            }
        double mean = sum / n;
        return sumSquares / n - mean * mean;
    }

    /// <summary>How many pixels in the rectangle are within <paramref name="tolerance"/> of the colour, per channel.</summary>
    public static int CountNear(SKBitmap bitmap, SKColor colour, int tolerance, SKRectI? area = null)
    {
        SKRectI r = area ?? new SKRectI(0, 0, bitmap.Width, bitmap.Height);
        int count = 0;
        for (int y = Math.Max(0, r.Top); y < Math.Min(bitmap.Height, r.Bottom); y++)
            for (int x = Math.Max(0, r.Left); x < Math.Min(bitmap.Width, r.Right); x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - colour.Red) <= tolerance && Math.Abs(c.Green - colour.Green) <= tolerance && Math.Abs(c.Blue - colour.Blue) <= tolerance)
                    count++;
            }
        return count;
    }

    /// <summary>Pixels clearly darker than the white background: text or lines.</summary>
    public static int CountDark(SKBitmap bitmap, SKRectI area)
    {
        int count = 0;
        for (int y = Math.Max(0, area.Top); y < Math.Min(bitmap.Height, area.Bottom); y++)
            for (int x = Math.Max(0, area.Left); x < Math.Min(bitmap.Width, area.Right); x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 128) count++;
            }
        return count;
    }
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fovea-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Path(string fileName) => System.IO.Path.Combine(Root, fileName);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a child process may still hold a file; the OS cleans temp eventually
    }
}
