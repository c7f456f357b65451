using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// Cutout (DeVries and Taylor, 2017): sets a <see cref="Size"/>×<see cref="Size"/> square to zero, its centre uniform
/// over the image and the square clipped at the edges, so that near a border less than the whole square is cut.
/// </summary>
public sealed class Cutout : AugmentationOp
{
    /// <summary>Cutout of a <paramref name="size"/>×<paramref name="size"/> square, positive.</summary>
    public Cutout(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"size must be positive; got {size}");
        Size = size;
    }

    /// <summary>Side of the square set to zero, in pixels.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override string TypeName => "cutout";

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
    {
        int cy = sample.Rng.NextInt(height), cx = sample.Rng.NextInt(width);
        int y0 = cy - Size / 2, x0 = cx - Size / 2; // an even size puts the centre just right of and below the middle
        ImageTransforms.FillRectangle(image, height, width, channels, y0, y0 + Size, x0, x0 + Size, 0f);
    }

    internal override void WriteConfig(JsonObject config) => config["size"] = Size;

    /// <inheritdoc/>
    public override string Describe() => $"Cutout(size={Size})";
}
