using System.Globalization;
using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// torchvision's <c>RandomResizedCrop</c> at the image's own size: a crop of a random share of the area (uniform in
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>]) and a random aspect ratio (log-uniform in
/// [<see cref="MinRatio"/>, <see cref="MaxRatio"/>]) at a uniform position, stretched back to H×W bilinearly.
/// A crop that does not fit is drawn again, ten times at most; after that the whole image is kept. Few-shot
/// fine-tuning needs the variety of scale and framing that a small translation does not give.
/// </summary>
public sealed class RandomResizedCrop : AugmentationOp
{
    private const int Attempts = 10;

    /// <summary>A crop of <paramref name="minScale"/>–<paramref name="maxScale"/> of the area with a width/height ratio in
    /// <paramref name="minRatio"/>–<paramref name="maxRatio"/> (torchvision's defaults: 0.08–1 and 3/4–4/3).</summary>
    public RandomResizedCrop(double minScale = 0.35, double maxScale = 1, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
            throw new ArgumentOutOfRangeException(nameof(minScale), $"scales must satisfy 0 < min ≤ max ≤ 1; got {F(minScale)}–{F(maxScale)}");
        if (!(minRatio > 0 && minRatio <= maxRatio && double.IsFinite(maxRatio)))
            throw new ArgumentOutOfRangeException(nameof(minRatio), $"ratios must satisfy 0 < min ≤ max; got {F(minRatio)}–{F(maxRatio)}");
        (MinScale, MaxScale, MinRatio, MaxRatio) = (minScale, maxScale, minRatio, maxRatio);
    }

    /// <summary>Smallest share of the image's area a crop covers.</summary>
    public double MinScale { get; }
    /// <summary>Largest share of the image's area a crop covers.</summary>
    public double MaxScale { get; }
    /// <summary>Smallest width/height ratio of a crop.</summary>
    public double MinRatio { get; }
    /// <summary>Largest width/height ratio of a crop.</summary>
    public double MaxRatio { get; }

    /// <inheritdoc/>
    public override string TypeName => "random_resized_crop";

    /// <summary>
    /// The crop for one image, as the op draws it from <paramref name="rng"/>: per attempt the scale, the log-ratio, then
    /// (if the crop fits) the top row and the left column.
    /// </summary>
    internal (int Top, int Left, int Height, int Width) Draw(Rng rng, int height, int width)
    {
        double area = (double)height * width, logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * rng.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w < 1 || h < 1 || w > width || h > height) continue;
            int top = rng.NextInt(height - h + 1), left = rng.NextInt(width - w + 1);
            return (top, left, h, w);
        }
        return (0, 0, height, width);
    }

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
    {
        var (top, left, h, w) = Draw(sample.Rng, height, width);
        if (h == height && w == width) return;
        var source = scratch[..image.Length];
        image.CopyTo(source);
        ImageTransforms.CropResize(image, source, height, width, channels, top, left, h, w);
    }

    internal override void WriteConfig(JsonObject config)
    {
        config["min_scale"] = MinScale;
        config["max_scale"] = MaxScale;
        config["min_ratio"] = MinRatio;
        config["max_ratio"] = MaxRatio;
    }

    /// <inheritdoc/>
    public override string Describe() => $"RandomResizedCrop(scale={F(MinScale)}–{F(MaxScale)}, ratio={F(MinRatio)}–{F(MaxRatio)})";

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
