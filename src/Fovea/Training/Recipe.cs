using Fovea.Data.Augmentation;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;

namespace Fovea.Training;

/// <summary>
/// How a model is trained by default: epochs, batch size, optimiser and schedule, loss, augmentation and test-time
/// augmentation. <c>fovea train --model NAME</c> uses the model's recipe; its flags override single settings.
/// </summary>
public sealed record Recipe
{
    /// <summary>Epochs to train for.</summary>
    public required int Epochs { get; init; }
    /// <summary>Samples per training step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>The base learning rate (what <c>--learning-rate</c> replaces); schedules and groups scale it.</summary>
    public required float LearningRate { get; init; }

    /// <summary>Builds the optimiser once the run's size is known (schedules count steps).</summary>
    public required Func<RecipePlan, Optimizer> Optimizer { get; init; }

    /// <summary>The loss to compile the model with; sparse categorical cross-entropy unless the recipe says otherwise.</summary>
    public Func<Loss> Loss { get; init; } = () => new SparseCategoricalCrossentropy();
    /// <summary>The training augmentation, or null for none.</summary>
    public Func<AugmentationPipeline?> Augmentation { get; init; } = () => null;
    /// <summary>MixUp of the training batches, or null for none.</summary>
    public Func<MixUp?> MixUp { get; init; } = () => null;
    /// <summary>How the model is evaluated: with no test-time augmentation or with mirrored and shifted views.</summary>
    public TestTimeAugmentation TestTimeAugmentation { get; init; }

    /// <summary>Skip each epoch's last partial batch (BatchNorm recipes do).</summary>
    public bool DropRemainder { get; init; }

    /// <summary><see cref="ValidationFrequency"/> of a recipe that validates once, after its last epoch.</summary>
    public const int LastEpochOnly = int.MaxValue;

    /// <summary>Validate every this many epochs and after the last (Keras's <c>validation_freq</c>): 1, every epoch,
    /// unless the recipe says otherwise (<see cref="LastEpochOnly"/>: a speed recipe whose own definition evaluates
    /// once). Early stopping validates every epoch.</summary>
    public int ValidationFrequency { get; init; } = 1;

    /// <summary>
    /// How the recipe trains its 3×3 layers: <see cref="WinogradUse.Inference"/> (the default) keeps im2col's exact
    /// sums in training; <see cref="WinogradUse.Always"/> trains by Winograd F(2×2, 3×3) and
    /// <see cref="WinogradUse.AlwaysF4"/> by F(4×4, 3×3) where it pays, each set only where the recipe's accuracy
    /// was measured that way over several seeds. A run applies it with <see cref="ApplyArithmetic"/>;
    /// FOVEA_WINOGRAD, when set, has the last word.
    /// </summary>
    public WinogradUse TrainingWinograd { get; init; } = WinogradUse.Inference;

    /// <summary>Sets <see cref="Engine.Winograd"/> for a run of this recipe to <see cref="TrainingWinograd"/> when that
    /// trains by Winograd and the environment variable FOVEA_WINOGRAD does not choose.</summary>
    public void ApplyArithmetic()
    {
        if (TrainingWinograd >= WinogradUse.Always && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Engine.WinogradVariable)))
            Engine.Winograd = TrainingWinograd;
    }

    /// <summary>
    /// How many networks a run averages (a deep ensemble; <c>fovea train --ensemble</c> overrides it), from the number of
    /// training pictures and their shape: 1 unless the recipe says otherwise. The same data give the same number.
    /// </summary>
    public Func<int, Shape, int> Ensemble { get; init; } = (_, _) => 1;

    /// <summary>One line for <c>fovea models</c> and the run report.</summary>
    public required string Description { get; init; }
}

/// <summary>The size of a run, which a recipe's optimiser and schedules need.</summary>
public readonly record struct RecipePlan(int StepsPerEpoch, int Epochs, int BatchSize, float LearningRate)
{
    /// <summary>Optimiser steps in the whole run: steps per epoch × epochs.</summary>
    public long TotalSteps => (long)StepsPerEpoch * Epochs;
}
