namespace Fovea.Losses;

/// <summary>A training objective: the mean over the batch of a per-sample loss, and its gradient.</summary>
public abstract class Loss
{
    /// <summary>Keras's name for the loss, e.g. <c>sparse_categorical_crossentropy</c>.</summary>
    public abstract string Name { get; }
}
