using System.Globalization;

namespace Fovea.Models;

/// <summary>
/// The bytes a model's step asks for at one batch size, before anything is allocated: what the run's peak resident
/// memory is made of, besides the runtime and the dataset. <see cref="Model.PlanMemory"/> computes it.
/// </summary>
public sealed record MemoryPlan
{
    /// <summary>Samples per step the plan is for.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Whether the plan is for training steps (activations kept for backward, their gradients) or inference.</summary>
    public required bool Training { get; init; }

    /// <summary>The step's arrays: the input batch, every activation and, in training, the activations' gradients,
    /// shared by lifetime; plus each layer's per-batch state (max-pool positions, dropout masks).</summary>
    public required long ActivationBytes { get; init; }

    /// <summary>The gradients of the trainable weights (none in inference).</summary>
    public required long GradientBytes { get; init; }

    /// <summary>Every weight, trainable or not (BatchNorm's moving statistics included).</summary>
    public required long WeightBytes { get; init; }

    /// <summary>The optimiser's state (momentum, Adam's moments, Lookahead's slow weights); zero before Compile or in inference.</summary>
    public required long OptimizerStateBytes { get; init; }

    /// <summary>Everything above.</summary>
    public long TotalBytes => ActivationBytes + GradientBytes + WeightBytes + OptimizerStateBytes;

    /// <summary>One line: <c>activations 1.21 GB, weights 7 MB, gradients 7 MB, optimiser 14 MB (batch 1024, training)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"activations {ProcessMemory.Format(ActivationBytes)}, weights {ProcessMemory.Format(WeightBytes)}, gradients {ProcessMemory.Format(GradientBytes)}, "
        + $"optimiser {ProcessMemory.Format(OptimizerStateBytes)} (batch {BatchSize}, {(Training ? "training" : "inference")})");
}
