namespace Fovea.Training;

/// <summary>Ends training after the current step when Ctrl+C or SIGTERM arrives.</summary>
internal sealed class CancellationCallback(CancellationToken token) : Callback
{
    private Models.Model? _model;

    public override void OnTrainBegin(TrainingRun run) => _model = run.Model;

    public override void OnBatchEnd(int epoch, int step, double loss, double accuracy)
    {
        if (token.IsCancellationRequested) _model!.StopTraining = true;
    }
}
