using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>Rectified linear unit as its own layer, Keras's <c>ReLU</c>: y = max(x, 0).</summary>
public sealed class ReLU(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "ReLU";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "re_lu";
    internal override bool IndependentSamplesInTraining => true;

    internal override bool BackwardNeedsInputs => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        input.AsSpan(0, n).CopyTo(output);
        ActivationKernels.Relu(output.AsSpan(0, n));
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        // dx = dy where y > 0, else 0
        outputGrad.AsSpan(0, n).CopyTo(inputGrad);
        ActivationKernels.ReluBackward(inputGrad.AsSpan(0, n), output.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new ReLU(name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
