using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// Shifts each image by dy, dx drawn uniformly and independently from [-pad, pad], filling with the reflection of the
/// image (numpy's 'reflect', the edge not repeated): airbench94's translate, i.e. reflect-pad by <see cref="Pad"/> and
/// crop back to H×W at a random offset in [0, 2·pad] each way.
/// </summary>
public sealed class RandomTranslate : AugmentationOp
{
    /// <summary>A random shift of up to <paramref name="pad"/> pixels in each direction, non-negative.</summary>
    public RandomTranslate(int pad = 2)
    {
        if (pad < 0) throw new ArgumentOutOfRangeException(nameof(pad), $"pad must be non-negative; got {pad}");
        Pad = pad;
    }

    /// <summary>The largest shift in pixels, each way.</summary>
    public int Pad { get; }

    /// <inheritdoc/>
    public override string TypeName => "random_translate";

    /// <inheritdoc/>
    public override void Validate(int height, int width, int channels)
    {
        if (Pad >= height || Pad >= width)
            throw new ArgumentException($"RandomTranslate pad {Pad} must be smaller than the image ({height}x{width}) for reflect padding");
    }

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
        => RandomShift.Apply(image, scratch, height, width, channels, Pad, ImagePadding.Reflect, sample);

    internal override void WriteConfig(JsonObject config) => config["pad"] = Pad;

    /// <inheritdoc/>
    public override string Describe() => $"RandomTranslate(pad={Pad}, reflect)";
}
