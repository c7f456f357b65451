using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>Element-wise mean of two or more inputs of one shape, Keras's <c>Average</c>: the join of an ensemble's
/// members (<see cref="Models.Ensemble"/>), which averages their class probabilities.</summary>
public sealed class Average(string? name = null) : Layer(name, null), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Average";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "average";
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
            if (s != inputShapes[0]) throw new ArgumentException($"Average needs inputs of one shape; got {string.Join(" and ", inputShapes)}");
        return inputShapes[0];
    }

    /// <summary>y = (x₀ + x₁ + … ) / n, summed in input order then divided once (as ONNX's Mean).</summary>
    public override void Forward(float[] output, IReadOnlyList<float[]> inputs, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        var y = output.AsSpan(0, n);
        TensorPrimitives.Add(inputs[0].AsSpan(0, n), inputs[1].AsSpan(0, n), y);
        for (int i = 2; i < inputs.Count; i++) TensorPrimitives.Add(y, inputs[i].AsSpan(0, n), y);
        TensorPrimitives.Divide(y, inputs.Count, y);
    }

    /// <summary>dy/dx_i = 1/n: each input receives the output gradient divided by the number of inputs.</summary>
    public override void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, in StepContext step)
    {
        int n = step.Batch * (int)OutputShape.Size;
        foreach (var g in inputGrads)
            if (g is not null) TensorPrimitives.Divide(outputGrad.AsSpan(0, n), inputGrads.Count, g.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Average(name);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
