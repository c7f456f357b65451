using Fovea.Training;

namespace Fovea.Distributed;

/// <summary>
/// Makes every process of a group stop after the same step when process 0 stops (Ctrl+C or SIGTERM, the
/// <c>FOVEA_STOP_AFTER_STEP</c> hook): after each step, process 0's decision is shared, so that no process is left
/// waiting for the others in the next step's exchange. Put it after the callbacks that may stop training.
/// </summary>
public sealed class StopTogether : Callback
{
    private readonly ProcessGroup _group;
    private readonly double[] _flag = new double[1];
    private Models.Model? _model;

    /// <summary>A callback that shares process 0's decision to stop with the rest of <paramref name="group"/>.</summary>
    public StopTogether(ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        _group = group;
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingRun run) => _model = run.Model;

    /// <inheritdoc/>
    public override void OnBatchEnd(int epoch, int step, double loss, double accuracy)
    {
        _flag[0] = _group.IsLeader && _model!.StopTraining ? 1 : 0;
        _group.Share(_flag);
        _model!.StopTraining = _flag[0] > 0;
    }
}
