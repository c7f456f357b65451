namespace Fovea.Training;

/// <summary>A callback made of functions, Keras's <c>LambdaCallback</c>: for a hook too small to deserve a class.</summary>
public sealed class LambdaCallback(Action<int, int>? onBatchEnd = null, Action<EpochLog>? onEpochEnd = null) : Callback
{
    /// <summary>Calls <c>onBatchEnd(epoch, step)</c>.</summary>
    public override void OnBatchEnd(int epoch, int step, double loss, double accuracy) => onBatchEnd?.Invoke(epoch, step);

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochLog log) => onEpochEnd?.Invoke(log);
}
