namespace Fovea.Training;

/// <summary>
/// Hooks into <c>Fit</c>, as Keras callbacks do: progress display, checkpoints, early stopping.
/// Set <see cref="Models.Model.StopTraining"/> from a hook to end training after the current step.
/// </summary>
public abstract class Callback
{
    public virtual void OnTrainBegin(TrainingRun run) { }
    public virtual void OnEpochBegin(int epoch) { }

    /// <summary>After each step; <paramref name="loss"/> and <paramref name="accuracy"/> are running means over the epoch so far.</summary>
    public virtual void OnBatchEnd(int epoch, int step, double loss, double accuracy) { }

    public virtual void OnEpochEnd(EpochLog log) { }
    public virtual void OnTrainEnd(History history) { }
}

/// <summary>What a callback knows about the run it watches.</summary>
public sealed record TrainingRun(Models.Model Model, int Epochs, int StepsPerEpoch, int Samples, int BatchSize, int InitialEpoch);
