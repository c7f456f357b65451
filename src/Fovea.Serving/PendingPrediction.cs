namespace Fovea.Serving;

/// <summary>
/// One decoded image waiting for the model, and the promise of its class probabilities; or, with
/// <see cref="Explain"/>, of its Grad-CAM explanation (run alone, after the batch's predictions).
/// </summary>
internal sealed class PendingPrediction(byte[] pixels, ExplanationRequest? explain = null)
{
    /// <summary>The decoded picture. // [H, W, C]</summary>
    public byte[] Pixels { get; } = pixels;

    /// <summary>What to explain, or null for a prediction.</summary>
    public ExplanationRequest? Explain { get; } = explain;

    /// <summary>Completed by the batcher's worker; continuations run on the thread pool, not on the worker.</summary>
    public TaskCompletionSource<float[]> Probabilities { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed by the batcher's worker when <see cref="Explain"/> is set.</summary>
    public TaskCompletionSource<ServedExplanation> Explanation { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
