using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// The classic CIFAR crop: zero-pad each image by <see cref="Padding"/> and crop <see cref="Height"/>×<see cref="Width"/>
/// at a random offset (uniform in [0, 2·padding] each way). The crop keeps the image size, since augmentation works in
/// place on the batch, so the size must be the images' own; it is kept in the configuration to say what was meant.
/// </summary>
public sealed class RandomCrop : AugmentationOp
{
    /// <summary>A square <paramref name="size"/> crop after <paramref name="padding"/> pixels of zero padding on each side
    /// (the classic CIFAR "pad 4, crop 32").</summary>
    public RandomCrop(int size, int padding) : this(size, size, padding) { }

    /// <summary>A <paramref name="height"/>×<paramref name="width"/> crop after <paramref name="padding"/> pixels of zero padding on each side.</summary>
    public RandomCrop(int height, int width, int padding)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"crop size must be positive; got {height}x{width}");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"padding must be non-negative; got {padding}");
        Height = height;
        Width = width;
        Padding = padding;
    }

    /// <summary>Height of the crop.</summary>
    public int Height { get; }
    /// <summary>Width of the crop.</summary>
    public int Width { get; }
    /// <summary>Zero padding added on each side before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override string TypeName => "random_crop";

    /// <inheritdoc/>
    public override void Validate(int height, int width, int channels)
    {
        if (height != Height || width != Width)
            throw new ArgumentException($"RandomCrop size {Height}x{Width} must be the image size, {height}x{width}: the crop works in place");
    }

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
        => RandomShift.Apply(image, scratch, height, width, channels, Padding, ImagePadding.Zero, sample);

    internal override void WriteConfig(JsonObject config)
    {
        config["height"] = Height;
        config["width"] = Width;
        config["padding"] = Padding;
    }

    /// <inheritdoc/>
    public override string Describe() => Height == Width
        ? $"RandomCrop(size={Height}, padding={Padding}, zeros)"
        : $"RandomCrop(size={Height}x{Width}, padding={Padding}, zeros)";
}
