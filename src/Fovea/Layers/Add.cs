using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>Element-wise sum of two or more inputs of one shape, Keras's <c>Add</c>: the join of a residual block.</summary>
public sealed class Add(string? name = null) : Layer(name, null), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Add";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "add";
    internal override bool IndependentSamplesInTraining => true;
    /// <inheritdoc/>
    public override int? InputCount => null;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        CheckInputCount(inputShapes.Count);
        foreach (var s in inputShapes)
            if (s != inputShapes[0]) throw new ArgumentException($"Add needs inputs of one shape; got {string.Join(" and ", inputShapes)}");
        return inputShapes[0];
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, IReadOnlyList<float[]> inputs, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        var y = output.AsSpan(0, n);
        TensorPrimitives.Add(inputs[0].AsSpan(0, n), inputs[1].AsSpan(0, n), y);
        for (int i = 2; i < inputs.Count; i++) TensorPrimitives.Add(y, inputs[i].AsSpan(0, n), y);
    }

    /// <summary>d(Σ x_i)/dx_i = 1: each input receives the output gradient as it is.</summary>
    public override void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        foreach (var g in inputGrads)
            if (g is not null) outputGrad.AsSpan(0, n).CopyTo(g);
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Add(name);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
