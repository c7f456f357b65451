using Fovea.Data;
using Fovea.IO;
using Fovea.Models;

namespace Fovea.Training;

public sealed partial class Trainer
{
    private TrainingState? _resumed;

    /// <summary>
    /// Loads the checkpoint of <paramref name="folder"/> (opened with <see cref="RunFolder.Existing"/>) into the
    /// compiled model, which must be built and compiled as the run began (same architecture, optimiser and seed), and
    /// returns where the run stands; <see cref="Run"/> continues from there. A finished run is refused.
    /// </summary>
    public TrainingState Resume(RunFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!folder.Resumes) throw new InvalidOperationException("only a folder opened with RunFolder.Existing is resumed");
        var file = SafeTensors.Read(folder.CheckpointPath);
        if (Checkpoint.IsFinished(file.Metadata))
            throw new FoveaException($"{folder.Path} holds a finished run; there is nothing to resume (its model is {folder.ModelPath})");
        Model.RequireCompiled();
        _resumedPlan = file.Metadata.GetValueOrDefault(Checkpoint.PlanKey);
        _resumed = Checkpoint.Load(file, folder.CheckpointPath, Model).State;
        return _resumed;
    }

    private string? _resumedPlan;

    /// <summary>
    /// Trains in <paramref name="folder"/> as <paramref name="plan"/> says: a checkpoint after every epoch (and when
    /// <paramref name="cancel"/> fires, after the current step), history.csv, and with early stopping the best model.
    /// A folder opened with <see cref="RunFolder.Existing"/> continues its run from the checkpoint (see
    /// <see cref="Resume"/>), bit for bit as if it had not stopped. Once the caller has saved what the run produced,
    /// <see cref="MarkFinished"/> says there is nothing left to resume.
    /// </summary>
    public RunResult Run(RunFolder folder, RunPlan plan, ImageSet x, int[] y, (ImageSet X, int[] Y) validationData,
        IEnumerable<Callback>? callbacks = null, int verbose = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(plan);
        var state = folder.Resumes ? _resumed ?? Resume(folder) : null;
        if (state is not null) plan.CheckResumes(_resumedPlan, folder.CheckpointPath);
        folder.ClearReplacedRun();
        var checkpoints = new CheckpointWriter(folder.CheckpointPath, this, plan);
        var interruption = new CancellationCallback(cancel);
        List<Callback> all = [interruption, new HistoryCsvWriter(folder.HistoryPath, state?.History.Epochs ?? []), .. callbacks ?? []];
        int epochs = plan.Epochs;
        if (plan.EarlyStoppingPatience is { } patience)
        {
            var early = new EarlyStopping(patience);
            if (state is not null)
            {
                early.Resume(state.History, File.Exists(folder.BestModelPath) ? Model.Load(folder.BestModelPath).Model.Weights.ToArray() : null);
                // Stopped early, then killed before finishing up: no more epochs, just the final steps.
                if (early.PatienceExhausted) epochs = state.CompletedEpochs;
            }
            early.Improved += _ => Model.Save(folder.BestModelPath, plan.ClassNames);
            // Before the checkpoint, so that the best model is on disk before a checkpoint that counts on it.
            all.Add(early);
        }
        all.Add(checkpoints);
        History history;
        try
        {
            history = Fit(x, y, plan.BatchSize, epochs, validationData, verbose: verbose, callbacks: all, resumeFrom: state, dropRemainder: plan.DropRemainder,
                validationFrequency: plan.ValidationFrequency);
        }
        catch (NonFiniteLossException e)
        {
            throw new FoveaException($"{e.Message}; the last good checkpoint is kept in {folder.CheckpointPath}");
        }
        finally
        {
            _resumed = null;
        }
        if (!cancel.IsCancellationRequested && !interruption.Interrupted) return new RunResult(history, Interrupted: false);
        checkpoints.Save();
        return new RunResult(history, Interrupted: true);
    }

    /// <summary>Rewrites the run's checkpoint marked finished, once its model and results are saved: a finished run is
    /// not resumed. Last, so that a crash before it can still be resumed to finish the run's files.</summary>
    public void MarkFinished(RunFolder folder, RunPlan plan)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(plan);
        new CheckpointWriter(folder.CheckpointPath, this, plan).MarkFinished();
    }
}
