using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>y = x·scale + offset, Keras's <c>Rescaling</c>: also the constant scaling before airbench's softmax (1/9).</summary>
public sealed class Rescaling : UnaryLayer, ILayerFactory
{
    /// <summary>A layer that computes x·<paramref name="scale"/> + <paramref name="offset"/> (Keras's <c>Rescaling(1/255)</c>).</summary>
    public Rescaling(float scale, float offset = 0f, string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be finite; got {scale}");
        if (!float.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), $"offset must be finite; got {offset}");
        Scale = scale;
        Offset = offset;
    }

    /// <summary>The factor applied to every value.</summary>
    public float Scale { get; }
    /// <summary>The offset added after scaling.</summary>
    public float Offset { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Rescaling";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "rescaling";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        var y = output.AsSpan(0, n);
        TensorPrimitives.Multiply(input.AsSpan(0, n), Scale, y);
        if (Offset != 0) TensorPrimitives.Add(y, Offset, y);
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        TensorPrimitives.Multiply(outputGrad.AsSpan(0, n), Scale, inputGrad.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Rescaling(config.Float("scale"), config.Float("offset"), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["scale"] = Scale;
        c["offset"] = Offset;
        return c;
    }
}
