namespace Fovea.Training;

/// <summary>Writes a run's checkpoint after every epoch (atomically, so a kill mid-write keeps the previous one).</summary>
internal sealed class CheckpointWriter(string path, Trainer trainer, RunPlan plan) : Callback
{
    public override void OnEpochEnd(EpochLog log) => Save();

    public void Save() => Save(finished: false);

    /// <summary>Rewrites the checkpoint marked finished, so that a resume refuses to train a finished run further.</summary>
    public void MarkFinished() => Save(finished: true);

    private void Save(bool finished)
    {
        var run = new Dictionary<string, string> { [Checkpoint.PlanKey] = plan.ToJson() };
        if (finished) run[Checkpoint.FinishedKey] = "true";
        Checkpoint.Save(path, trainer.Model, trainer.State, plan.ClassNames, plan.Settings, run);
    }
}
