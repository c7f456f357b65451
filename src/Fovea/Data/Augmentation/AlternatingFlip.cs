using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// airbench94's alternating flip: each image gets one random bit per run (from the seed and its sample index), and is
/// mirrored in odd-numbered epochs (1, 3, 5, … as <c>Fit</c> numbers them) when the bit is set and in even-numbered
/// ones when it is not. So every image is seen both ways in every two consecutive epochs, which random flipping only
/// achieves half the time. Fovea's epoch 1 is airbench's epoch 0: "flip in even epochs when the bit is set", with
/// epochs counted from 0 there.
/// </summary>
public sealed class AlternatingFlip : AugmentationOp
{
    /// <summary>The stream the per-run bit comes from: (seed, this purpose, sample index), epoch left out.</summary>
    internal const string BitPurpose = "augment/alternating-flip";

    /// <inheritdoc/>
    public override string TypeName => "alternating_flip";

    /// <summary>The per-run bit of sample <paramref name="index"/> under <paramref name="seed"/>.</summary>
    public static bool FlipBit(long seed, int index) => Rng.For(seed, BitPurpose, index).NextUInt64() >> 63 != 0;

    /// <summary>Whether sample <paramref name="index"/> is mirrored in <paramref name="epoch"/> (numbered from 1).</summary>
    public static bool Flips(long seed, int index, int epoch) => FlipBit(seed, index) == (epoch % 2 == 1);

    internal override void Apply(Span<float> image, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample)
    {
        var rng = sample.ScratchRng;
        rng.Reset(sample.Seed, BitPurpose, sample.Index); // as FlipBit, without allocating
        bool bit = rng.NextUInt64() >> 63 != 0;
        if (bit == (sample.Epoch % 2 == 1)) ImageTransforms.FlipHorizontal(image, height, width, channels);
    }

    internal override void WriteConfig(JsonObject config) { }

    /// <inheritdoc/>
    public override string Describe() => "AlternatingFlip(horizontal)";
}
