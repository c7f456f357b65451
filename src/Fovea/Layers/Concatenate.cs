using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// Joins inputs along the last (channel) axis, Keras's <c>Concatenate(axis=-1)</c>: all other dimensions must agree.
/// In NHWC each pixel's channels are contiguous, so every input contributes one run per pixel.
/// </summary>
public sealed class Concatenate(string? name = null) : Layer(name, null), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Concatenate";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "concatenate";
    internal override bool IndependentSamplesInTraining => true;
    /// <inheritdoc/>
    public override int? InputCount => null;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        CheckInputCount(inputShapes.Count);
        var first = inputShapes[0];
        int channels = 0;
        foreach (var s in inputShapes)
        {
            if (s.Rank != first.Rank || !s.Take(s.Rank - 1).SequenceEqual(first.Take(first.Rank - 1)))
                throw new ArgumentException($"Concatenate needs inputs that differ only in the last axis; got {string.Join(" and ", inputShapes)}");
            channels += s[^1];
        }
        var dims = first.ToArray();
        dims[^1] = channels;
        return new Shape(dims);
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, IReadOnlyList<float[]> inputs, in StepContext step)
    {
        int rows = step.Batch * (int)(OutputShape.Size / OutputShape[^1]), width = OutputShape[^1], at = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            int c = InputShapes[i][^1];
            for (int r = 0; r < rows; r++) inputs[i].AsSpan(r * c, c).CopyTo(output.AsSpan(r * width + at, c));
            at += c;
        }
    }

    /// <inheritdoc/>
    public override void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, in StepContext step)
    {
        int rows = step.Batch * (int)(OutputShape.Size / OutputShape[^1]), width = OutputShape[^1], at = 0;
        for (int i = 0; i < inputGrads.Count; i++)
        {
            int c = InputShapes[i][^1];
            if (inputGrads[i] is { } g)
                for (int r = 0; r < rows; r++) outputGrad.AsSpan(r * width + at, c).CopyTo(g.AsSpan(r * c, c));
            at += c;
        }
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Concatenate(name);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
