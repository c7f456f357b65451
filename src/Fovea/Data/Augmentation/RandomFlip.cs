using System.Globalization;
using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>Mirrors each image left to right with probability <see cref="Probability"/>, drawn afresh every epoch.</summary>
public sealed class RandomFlip : AugmentationOp
{
    /// <summary>A horizontal flip applied with <paramref name="probability"/>, in [0, 1] (Keras's <c>RandomFlip("horizontal")</c>).</summary>
    public RandomFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), $"probability must be in [0, 1]; got {probability}");
        Probability = probability;
    }

    /// <summary>Probability that an image is mirrored.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public override string TypeName => "random_flip";

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
    {
        // Always one draw, so the ops after this one see the same stream whatever the probability.
        if (sample.Rng.NextDouble() < Probability) ImageTransforms.FlipHorizontal(image, height, width, channels);
    }

    internal override void WriteConfig(JsonObject config) => config["probability"] = Probability;

    /// <inheritdoc/>
    public override string Describe() => $"RandomFlip(horizontal, p={Probability.ToString(CultureInfo.InvariantCulture)})";
}
