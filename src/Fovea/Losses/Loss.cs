namespace Fovea.Losses;

/// <summary>How a loss reduces the per-sample losses of a batch, Keras's <c>reduction</c>.</summary>
public enum Reduction
{
    /// <summary>The mean over the batch (Keras's default <c>sum_over_batch_size</c>, PyTorch's <c>mean</c>).</summary>
    SumOverBatchSize,

    /// <summary>The sum over the batch (PyTorch's <c>sum</c>; the gradient grows with the batch size).</summary>
    Sum,
}

/// <summary>
/// A training objective: a per-sample loss against integer class labels, reduced over the batch, and its gradient.
/// Derive from it for a loss of your own and pass it to <c>Model.Compile</c>; <see cref="SparseCategoricalCrossentropy"/>
/// after a final softmax is the one the model fuses with the softmax.
/// </summary>
public abstract class Loss
{
    /// <summary>A loss that reduces the batch's per-sample losses as <paramref name="reduction"/> says.</summary>
    protected Loss(Reduction reduction)
    {
        if (!Enum.IsDefined(reduction)) throw new ArgumentOutOfRangeException(nameof(reduction), $"unknown reduction {reduction}");
        Reduction = reduction;
    }

    /// <summary>Keras's name for the loss, e.g. <c>sparse_categorical_crossentropy</c>.</summary>
    public abstract string Name { get; }

    /// <summary>How the per-sample losses are reduced over the batch.</summary>
    public Reduction Reduction { get; }

    /// <summary>The factor between a sample's loss gradient and the gradient of the reduced loss.</summary>
    internal float GradientScale(int batch) => Reduction == Reduction.Sum ? 1f : 1f / batch;

    /// <summary>
    /// Σ over the batch of the per-sample losses of <paramref name="output"/> [batch, classes] (the model's output)
    /// against <paramref name="labels"/> [batch]; when <paramref name="gradient"/> [batch, classes] is not empty,
    /// overwrites it with dL/d(output) times <paramref name="scale"/> (the reduction's factor, 1/batch for a mean).
    /// The sum is what training logs average; the reduction only scales the gradient.
    /// </summary>
    public abstract double Compute(Span<float> gradient, ReadOnlySpan<float> output, ReadOnlySpan<int> labels, int classes, float scale);
}
