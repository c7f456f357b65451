using Fovea.Layers;

namespace Fovea.Optimizers;

/// <summary>
/// Weights that train with their own settings, as PyTorch's param groups: e.g. BatchNorm biases at 64× the learning
/// rate, or biases without weight decay (Keras's <c>exclude_from_weight_decay</c>).
/// </summary>
/// <param name="Selector">Which weights belong here (see <see cref="Parameter.Path"/>, <see cref="Parameter.Layer"/>).</param>
/// <param name="LearningRateScale">Multiplies the optimiser's learning rate for these weights.</param>
/// <param name="WeightDecay">Replaces the optimiser's weight decay for these weights; null keeps it.</param>
/// <param name="StopAfterStep">These weights stop training after this many steps (airbench's whitening bias trains for the first epochs only).</param>
public sealed record ParameterGroup(Func<Parameter, bool> Selector, float LearningRateScale = 1f, float? WeightDecay = null, long? StopAfterStep = null)
{
    /// <summary>Which weights belong to this group.</summary>
    public Func<Parameter, bool> Selector { get; } = Selector ?? throw new ArgumentNullException(nameof(Selector));
    /// <summary>Multiplies the optimiser's learning rate for these weights.</summary>
    public float LearningRateScale { get; } = LearningRateScale > 0 && float.IsFinite(LearningRateScale) ? LearningRateScale
        : throw new ArgumentOutOfRangeException(nameof(LearningRateScale), $"learningRateScale must be positive; got {LearningRateScale}");
    /// <summary>Replaces the optimiser's weight decay for these weights; null keeps it.</summary>
    public float? WeightDecay { get; } = WeightDecay is null || WeightDecay >= 0 ? WeightDecay
        : throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"weightDecay must be non-negative; got {WeightDecay}");
    /// <summary>These weights stop training after this many steps; null trains them throughout.</summary>
    public long? StopAfterStep { get; } = StopAfterStep is null or >= 0 ? StopAfterStep
        : throw new ArgumentOutOfRangeException(nameof(StopAfterStep), $"stopAfterStep must be non-negative; got {StopAfterStep}");
}
