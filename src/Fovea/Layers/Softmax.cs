using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>Softmax over the last axis as its own layer, Keras's <c>Softmax</c>.</summary>
public sealed class Softmax(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Softmax";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "softmax";
    internal override bool IndependentSamplesInTraining => true;

    internal override bool BackwardNeedsInputs => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1) throw new ArgumentException($"Softmax needs at least one axis; got {inputShape}");
        return inputShape;
    }

    private int Classes => OutputShape[OutputShape.Rank - 1];

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        ActivationKernels.Softmax(output.AsSpan(0, n), input.AsSpan(0, n), n / Classes, Classes);
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        outputGrad.AsSpan(0, n).CopyTo(inputGrad);
        // With the loss fused, outputGrad is already dL/dlogits; otherwise apply the softmax Jacobian.
        if (!step.SoftmaxFusedWithLoss) ActivationKernels.SoftmaxBackward(inputGrad.AsSpan(0, n), output.AsSpan(0, n), n / Classes, Classes);
    }

    internal ReadOnlySpan<float> Logits(float[] input, int batch) => input.AsSpan(0, batch * (int)OutputShape.Size);

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Softmax(name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
