using Fovea.Imaging;
using Fovea.Zoo;
using Fovea.Data;
using Fovea.Models;
using Fovea.Visualization;

namespace Fovea.Tests.Serving;

/// <summary>
/// The tutorial CNN with seeded random weights, saved once per test run to a temp file, and pictures to send it: PNGs
/// written by SkiaSharp whose decoded pixels are known, so a test can run the model on exactly what the server saw.
/// </summary>
internal static class ServingTestModel
{
    public static readonly string[] ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private static readonly Lazy<string> File = new(() =>
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fovea-serving-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, "model.safetensors");
        ModelZoo.SeedCnn(seed: 7).Save(path, ClassNames);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } };
        return path;
    });

    /// <summary>The saved model's path.</summary>
    public static string Path => File.Value;

    /// <summary>
    /// A 128x128 PNG of random 32x32 pixels each enlarged 4x: the loader's 2x2 halvings give back exactly those pixels.
    /// </summary>
    public static byte[] Png(int seed)
    {
        var pixels = new byte[32 * 32 * 3];
        new Random(seed).NextBytes(pixels);
        return ImageLoader.EncodePng(pixels, 32, 32, scale: 4);
    }

    /// <summary>What the model itself answers for <paramref name="png"/>, decoded as <c>fovea predict</c> decodes it.</summary>
    public static float[] Predict(byte[] png)
    {
        byte[] pixels = ImageLoader.LoadForModel(png, "test.png", 32);
        return Sequential.Load(Path).Model.Predict(new ImageSet(pixels, 1, 32, 32, 3)).Data;
    }

    /// <summary>Index of the largest value, the first of equals (the server's order).</summary>
    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
