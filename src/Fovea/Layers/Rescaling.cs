using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>y = x·scale + offset, Keras's <c>Rescaling</c>: also the constant scaling before airbench's softmax (1/9).</summary>
public sealed class Rescaling : UnaryLayer, ILayerFactory
{
    public Rescaling(float scale, float offset = 0f, string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be finite; got {scale}");
        if (!float.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), $"offset must be finite; got {offset}");
        Scale = scale;
        Offset = offset;
    }

    public float Scale { get; }
    public float Offset { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Rescaling";

    public override string TypeName => ClassName;
    public override string NameStem => "rescaling";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        var y = output.AsSpan(0, n);
        TensorPrimitives.Multiply(input.AsSpan(0, n), Scale, y);
        if (Offset != 0) TensorPrimitives.Add(y, Offset, y);
    }

    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        TensorPrimitives.Multiply(outputGrad.AsSpan(0, n), Scale, inputGrad.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Rescaling(config.Float("scale"), config.Float("offset"), name, inputShape);

    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["scale"] = Scale;
        c["offset"] = Offset;
        return c;
    }
}
