using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// The Gaussian error linear unit in its exact form, y = x·Φ(x) = ½x·(1 + erf(x/√2)), as PyTorch's <c>nn.GELU()</c>
/// and Keras's <c>gelu(approximate=False)</c>; backward dy·(Φ(x) + x·φ(x)) from the kept input.
/// </summary>
public sealed class Gelu(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "GELU";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "gelu";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        Kernels.Gelu.Forward(output.AsSpan(0, n), input.AsSpan(0, n));
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        Kernels.Gelu.Backward(inputGrad.AsSpan(0, n), outputGrad.AsSpan(0, n), input.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Gelu(name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
