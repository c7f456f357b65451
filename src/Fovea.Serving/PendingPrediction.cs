namespace Fovea.Serving;

/// <summary>One decoded image waiting for the model, and the promise of its class probabilities.</summary>
internal sealed class PendingPrediction(byte[] pixels)
{
    /// <summary>The decoded picture. // [H, W, C]</summary>
    public byte[] Pixels { get; } = pixels;

    /// <summary>Completed by the batcher's worker; continuations run on the thread pool, not on the worker.</summary>
    public TaskCompletionSource<float[]> Probabilities { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
