namespace Fovea.Training;

/// <summary>
/// Where a <c>Fit</c> stands: epochs completed, steps taken into the next one and that partial epoch's running
/// sums, and the history so far. Together with the weights and the optimiser state this is all a checkpoint needs
/// to continue bit for bit, because each epoch's shuffle is derived from the seed and the epoch number alone.
/// </summary>
public sealed record TrainingState(int CompletedEpochs, int StepsIntoEpoch, double LossSum, long Correct, long Seen, History History)
{
    /// <summary>The state of a run that has not started: nothing done, an empty history.</summary>
    public static TrainingState Start() => new(0, 0, 0, 0, 0, new History());

    /// <summary>True when the run stopped at an epoch boundary.</summary>
    public bool AtEpochBoundary => StepsIntoEpoch == 0;
}
