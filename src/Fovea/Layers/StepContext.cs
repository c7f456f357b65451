namespace Fovea.Layers;

/// <summary>
/// What a layer is told about the step it runs in: the batch, whether it trains, the step's seed for randomness
/// (Dropout), the batch this call is a slice of (an inference replica's slice carries the whole batch's size, which
/// chooses the convolution algorithm), and whether the loss has already differentiated through this layer's softmax.
/// Built by the model's execution plan for each step; layers never keep it.
/// </summary>
public readonly record struct StepContext
{
    /// <summary>A step on <paramref name="batch"/> samples; <paramref name="training"/> selects batch statistics,
    /// dropout masks and the training algorithms.</summary>
    public StepContext(int batch, bool training)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be positive; got {batch}");
        Batch = batch;
        Training = training;
    }

    /// <summary>Samples in this call.</summary>
    public int Batch { get; }

    /// <summary>Whether this is a training step (batch statistics, dropout, training algorithms) or inference.</summary>
    public bool Training { get; }

    /// <summary>A seed for this step's randomness, from the model's seed and the optimiser's step count, so that a
    /// resumed run draws the same masks.</summary>
    public long Seed { get; init; }

    /// <summary>The shard of the training batch this call runs (0 for a whole-batch step): randomness is drawn per shard.</summary>
    public int Shard { get; init; }

    /// <summary>The batch this call is a slice of (an inference replica's), or 0 for this call's own.</summary>
    public int SliceOf { get; init; }

    /// <summary>The size of the whole batch this call belongs to.</summary>
    public int WholeBatch => SliceOf > 0 ? SliceOf : Batch;

    /// <summary>
    /// Backward of the model's last layer only: the loss fused this layer's softmax with the cross-entropy, so the
    /// output gradient given is already dL/d(logits) (p − target), and the softmax's Jacobian must not be applied.
    /// </summary>
    public bool SoftmaxFusedWithLoss { get; init; }

    /// <summary>
    /// An inference pass (moving statistics, no dropout) that a backward pass will follow: layers keep what their
    /// backward reads (max-pooling's winners), and BatchNormalization's backward differentiates its inference
    /// transform. Explanations such as Grad-CAM differentiate the model as it predicts.
    /// </summary>
    public bool KeepsBackwardState { get; init; }

    // Inference needs a whole batch of KernelOptions.WinogradMinBatch images for Winograd: below, its 16 small GEMMs
    // per chunk lose to one implicit GEMM on small maps (measured at batch 1 against ONNX Runtime: the tutorial 0.98×
    // with it, 1.09× without; airbench94 0.52× and 0.59×). A layer whose output map has KernelOptions.WinogradMinPixels
    // pixels takes it at any batch (ResNet-18's 56×56, 28×28 and 14×14 layers at batch 1). So an image's probabilities may
    // differ in the last bits between a batch below that size and one above it, never between thread counts.
    /// <summary>Whether a convolution may take Winograd's algorithm in this call (training leaves it to
    /// <see cref="Engine.Winograd"/>; inference needs a whole batch of <see cref="KernelOptions.WinogradMinBatch"/> images).</summary>
    internal bool AllowsWinograd => Training || WholeBatch >= Engine.KernelOptions.WinogradMinBatch;

    /// <summary><see cref="AllowsWinograd"/> for a convolution whose output map has <paramref name="outPixels"/>
    /// pixels: inference also takes it, at any batch, on maps of <see cref="KernelOptions.WinogradMinPixels"/> or more.</summary>
    internal bool AllowsWinogradOn(int outPixels) => AllowsWinograd || outPixels >= Engine.KernelOptions.WinogradMinPixels;
}
