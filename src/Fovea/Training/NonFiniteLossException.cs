namespace Fovea.Training;

/// <summary>The loss became NaN or infinite (Keras's <c>TerminateOnNaN</c>); names where, so the run can be diagnosed.</summary>
public sealed class NonFiniteLossException(int epoch, int step, double loss)
    : FoveaException($"training stopped: the loss became {loss} at epoch {epoch}, step {step}; lower the learning rate or check the data")
{
    /// <summary>The 0-based epoch in which the loss stopped being finite.</summary>
    public int Epoch { get; } = epoch;
    /// <summary>The step within that epoch.</summary>
    public int Step { get; } = step;
}
