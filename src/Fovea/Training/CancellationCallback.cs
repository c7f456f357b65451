using System.Globalization;

namespace Fovea.Training;

/// <summary>
/// Ends training after the current step when Ctrl+C or SIGTERM arrives, or right after step k of the run (counted
/// across epochs from the first) when <c>FOVEA_STOP_AFTER_STEP=k</c> is set: the same interruption at a point that does
/// not hang on timing, so that a test or a script can stop a run exactly there and resume it.
/// </summary>
internal sealed class CancellationCallback(CancellationToken token) : Callback
{
    public const string StopAfterStepVariable = "FOVEA_STOP_AFTER_STEP";

    private readonly long? _stopAfterStep = ReadStopAfterStep();
    private Models.Model? _model;
    private int _stepsPerEpoch;

    /// <summary>True once training was told to stop, by a signal or by <see cref="StopAfterStepVariable"/>.</summary>
    public bool Interrupted { get; private set; }

    public override void OnTrainBegin(TrainingRun run) => (_model, _stepsPerEpoch) = (run.Model, run.StepsPerEpoch);

    public override void OnBatchEnd(int epoch, int step, double loss, double accuracy)
    {
        if (token.IsCancellationRequested || (long)(epoch - 1) * _stepsPerEpoch + step == _stopAfterStep)
            _model!.StopTraining = Interrupted = true;
    }

    private static long? ReadStopAfterStep()
    {
        string? value = Environment.GetEnvironmentVariable(StopAfterStepVariable);
        if (string.IsNullOrEmpty(value)) return null;
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long step) || step < 1)
            throw new FoveaUsageException($"{StopAfterStepVariable} must be a positive number of steps; got '{value}'");
        return step;
    }
}
