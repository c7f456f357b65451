using System.Text.Json.Nodes;

namespace Fovea.Data.Augmentation;

/// <summary>
/// One random transform of a training image, applied in place to a float image [H, W, C]. The constructor checks
/// and stores the configuration (public properties), as a Keras layer does; what the op draws comes from the
/// per-image stream it is handed, so the result depends on (seed, epoch, sample index) only. The ops know nothing
/// of layers or models: <see cref="AugmentationPipeline"/> runs them on a gathered batch.
/// </summary>
public abstract class AugmentationOp
{
    private protected AugmentationOp() { }

    /// <summary>The op's name in the JSON configuration, e.g. <c>random_translate</c>.</summary>
    public abstract string TypeName { get; }

    /// <summary>Throws an <see cref="ArgumentException"/> if the op cannot work on images of this shape.</summary>
    public virtual void Validate(int height, int width, int channels) { }

    /// <summary>Transforms one image in place. <paramref name="scratch"/> holds at least one image and may be overwritten.</summary>
    internal abstract void Apply(Span<float> image /* [H, W, C] */, Span<float> scratch, int height, int width, int channels, in AugmentationSample sample);

    /// <summary>The settings as JSON properties (besides "type"); <see cref="AugmentationPipeline.FromJson"/> reads them back.</summary>
    internal abstract void WriteConfig(JsonObject config);

    /// <summary>The op and its settings in one line for a run report: <c>RandomTranslate(pad=2, reflect)</c>.</summary>
    public abstract string Describe();

    /// <inheritdoc/>
    public override string ToString() => Describe();
}

/// <summary>
/// What an op may draw from for one image: <see cref="Rng"/>, restarted for each (seed, epoch, sample) and shared by
/// the ops in pipeline order, and the identifiers for ops that need a stream of their own (the alternating flip's
/// per-run bit). <see cref="Epoch"/> is numbered from 1, as <c>Fit</c> numbers epochs.
/// </summary>
internal readonly struct AugmentationSample(Rng rng, Rng scratchRng, long seed, int epoch, int index)
{
    public Rng Rng { get; } = rng;

    /// <summary>A second generator an op may <see cref="Fovea.Rng.Reset"/> for a stream of its own.</summary>
    public Rng ScratchRng { get; } = scratchRng;

    public long Seed { get; } = seed;
    public int Epoch { get; } = epoch;
    public int Index { get; } = index;
}
