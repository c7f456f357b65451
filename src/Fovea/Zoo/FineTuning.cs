using Fovea.Layers;
using Fovea.Models;
using Fovea.Training;

namespace Fovea.Zoo;

/// <summary>
/// A classifier made of a pretrained feature extractor: the extractor's layers, copied with their weights, between
/// a preprocessing front and a new head (Dropout, Dense). The base's layers are renamed <c>early_…</c> (its first
/// half, in running order) and <c>late_…</c> (the rest), so that a recipe gives each half its own learning rate.
/// </summary>
public static class FineTuning
{
    /// <summary>Name prefix of the first half of the base's layers (and the front's).</summary>
    public const string EarlyPrefix = "early_";

    /// <summary>Name prefix of the second half of the base's layers.</summary>
    public const string LatePrefix = "late_";

    /// <summary>Name of the head's last layer.</summary>
    public const string HeadName = "head";

    /// <summary>
    /// Calls copies of <paramref name="features"/>'s layers on <paramref name="x"/> (in place of its input) and
    /// returns the output and a way to copy the weights over once the new model is built.
    /// </summary>
    public static (SymbolicTensor Output, Action<Model> CopyWeights) CallBase(Model features, SymbolicTensor x)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(x);
        if (features.Inputs.Count != 1) throw new ArgumentException($"a feature extractor takes one input; this one has {features.Inputs.Count}", nameof(features));
        if (features.InputShape != x.Shape) throw new ArgumentException($"the feature extractor takes {features.InputShape}; the front gives {x.Shape}", nameof(features));
        features.Build();
        int half = features.Nodes.Count / 2;
        var (output, copyWeights) = features.CallCopy(x, (j, name) => (j < half ? EarlyPrefix : LatePrefix) + name);
        return (output, _ => copyWeights());
    }

    /// <summary>Name of the base's last layer: <c>Freeze(upTo:)</c> it to train the head alone.</summary>
    public static string LastBaseLayer(Model model) =>
        model.Layers.Last(l => l.Name is { } n && (n.StartsWith(LatePrefix, StringComparison.Ordinal) || n.StartsWith(EarlyPrefix, StringComparison.Ordinal))).Name!;

    /// <summary>
    /// Reverses the input channels of the first convolution, which must read the extractor's input through
    /// channel-blind layers only: an RGB picture then gives exactly what the BGR network gave its BGR picture.
    /// </summary>
    public static void SwapFirstConvolutionChannels(Model model, string firstBaseLayer)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.Layers;
        int at = layers.ToList().FindIndex(l => l.Name == firstBaseLayer);
        var conv = layers.Skip(at).TakeWhile(l => l is Conv2D or ZeroPadding2D).OfType<Conv2D>().FirstOrDefault()
            ?? throw new ArgumentException("the feature extractor must start with a convolution (after zero padding only) to take RGB for BGR");
        var kernel = conv.Weights.Single(p => p.Name == "kernel");
        int c = kernel.Shape[2], f = kernel.Shape[3];
        var values = kernel.Value;
        var old = values.ToArray();
        for (int tap = 0; tap < kernel.Shape[0] * kernel.Shape[1]; tap++)
            for (int ch = 0; ch < c; ch++)
                old.AsSpan((tap * c + c - 1 - ch) * f, f).CopyTo(values.Slice((tap * c + ch) * f, f));
    }
}

/// <summary>
/// fast.ai's <c>fine_tune</c> as a callback: the base frozen (up to and including its last layer) for the first
/// <see cref="FrozenEpochs"/> epochs, everything trainable after — except, with <see cref="BaseBatchNormFrozen"/>, the
/// base's BatchNormalization layers, which stay in inference mode with their pretrained statistics (Keras's
/// transfer-learning advice: a few hundred pictures give batch statistics too noisy to replace ImageNet's). The phase
/// follows from the epoch, so a resumed run picks up the right one.
/// </summary>
public sealed class FineTunePhases(Model model, int frozenEpochs, bool baseBatchNormFrozen = false) : Callback
{
    /// <summary>Epochs that train the head alone.</summary>
    public int FrozenEpochs { get; } = frozenEpochs;

    /// <summary>Whether the base's BatchNormalization layers stay frozen after the head's epochs.</summary>
    public bool BaseBatchNormFrozen { get; } = baseBatchNormFrozen;

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch)
    {
        if (epoch <= FrozenEpochs)
        {
            model.Freeze(upTo: FineTuning.LastBaseLayer(model));
            return;
        }
        model.Unfreeze();
        if (!BaseBatchNormFrozen) return;
        foreach (var layer in model.Layers)
            if (layer is BatchNormalization && layer.Name is { } n
                && (n.StartsWith(FineTuning.EarlyPrefix, StringComparison.Ordinal) || n.StartsWith(FineTuning.LatePrefix, StringComparison.Ordinal)))
                layer.Trainable = false;
    }
}
