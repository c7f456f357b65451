namespace Fovea.Training;

/// <summary>
/// Hooks into <c>Fit</c>, as Keras callbacks do: progress display, checkpoints, early stopping.
/// Set <see cref="Models.Model.StopTraining"/> from a hook to end training after the current step.
/// </summary>
public abstract class Callback
{
    /// <summary>Called once before the first epoch (of this Fit), with what the run is about to do.</summary>
    public virtual void OnTrainBegin(TrainingRun run) { }
    /// <summary>Called before each epoch; <paramref name="epoch"/> is 0-based.</summary>
    public virtual void OnEpochBegin(int epoch) { }

    /// <summary>After each step; <paramref name="loss"/> and <paramref name="accuracy"/> are running means over the epoch so far.</summary>
    public virtual void OnBatchEnd(int epoch, int step, double loss, double accuracy) { }

    /// <summary>Called after each epoch with its metrics, validation included.</summary>
    public virtual void OnEpochEnd(EpochLog log) { }
    /// <summary>Called once when Fit returns normally, with the whole history.</summary>
    public virtual void OnTrainEnd(History history) { }
}

/// <summary>What a callback knows about the run it watches.</summary>
public sealed record TrainingRun(Models.Model Model, int Epochs, int StepsPerEpoch, int Samples, int BatchSize, int InitialEpoch)
{
    /// <summary>Validation runs every this many epochs and after the last (Keras's <c>validation_freq</c>); 0: the run
    /// has no validation data. An epoch between validations ends with no val_loss.</summary>
    public int ValidationFrequency { get; init; } = 1;
}
