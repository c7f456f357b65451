namespace Fovea.Layers;

/// <summary>A layer with one input: forward and backward take one input buffer and one input gradient.</summary>
public abstract class UnaryLayer : Layer
{
    /// <summary>Stores the layer's name and, for a Sequential's first layer, its declared per-sample input shape.</summary>
    protected UnaryLayer(string? name, Shape? inputShape) : base(name, inputShape) { }

    /// <summary>The per-sample output shape for a per-sample input shape; throws naming the problem if invalid.</summary>
    public abstract Shape ComputeOutputShape(Shape inputShape);

    /// <inheritdoc/>
    public sealed override Shape ComputeOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        CheckInputCount(inputShapes.Count);
        return ComputeOutputShape(inputShapes[0]);
    }

    /// <inheritdoc/>
    protected sealed override void BuildWeights(IReadOnlyList<Shape> inputShapes, Rng rng) => BuildWeights(inputShapes[0], rng);
    /// <summary>Creates the layer's weights for its one input's per-sample shape, drawing initial values from <paramref name="rng"/>.</summary>
    protected virtual void BuildWeights(Shape inputShape, Rng rng) { }

    internal sealed override IEnumerable<(string Name, Shape Shape)> WeightShapes(IReadOnlyList<Shape> inputShapes) => WeightShapes(inputShapes[0]);
    internal virtual IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) => [];

    internal sealed override long ScratchPerSample(IReadOnlyList<Shape> inputShapes) => ScratchPerSample(inputShapes[0]);
    internal virtual long ScratchPerSample(Shape inputShape) => 0;

    /// <inheritdoc/>
    public sealed override void Forward(float[] output, IReadOnlyList<float[]> inputs, in StepContext step) =>
        Forward(output, inputs[0], step);

    /// <inheritdoc/>
    public sealed override void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, in StepContext step) =>
        Backward(inputGrads[0], outputGrad, inputs[0], output, step);

    /// <summary>output = layer(input) for <paramref name="step"/>'s batch.</summary>
    public abstract void Forward(float[] output, float[] input, in StepContext step);

    /// <summary>
    /// Given dL/d(output), adds dL/d(weights) into the parameter gradients and, when <paramref name="inputGrad"/> is not
    /// null, writes dL/d(input). Needs the input and output of the forward pass of the same batch.
    /// </summary>
    public abstract void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step);

    /// <summary>Calls the layer on one symbolic tensor (Keras's <c>layer(x)</c>).</summary>
    public SymbolicTensor Call(SymbolicTensor input) => base.Call(input);
}
