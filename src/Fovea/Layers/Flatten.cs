using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>Flattens each sample to a vector, Keras's <c>Flatten</c>. NHWC memory is already in (h, w, c) order, so this is a copy.</summary>
public sealed class Flatten(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Flatten";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "flatten";
    internal override bool IndependentSamplesInTraining => true;

    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape) => new(checked((int)inputShape.Size));

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        input.AsSpan(0, n).CopyTo(output);
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        if (inputGrad is not null) outputGrad.AsSpan(0, n).CopyTo(inputGrad);
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Flatten(name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
