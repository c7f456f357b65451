using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>The mean of each channel over height and width, Keras's <c>GlobalAveragePooling2D</c>: (H, W, C) → (C,).</summary>
public sealed class GlobalAveragePooling2D(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
{
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "GlobalAveragePooling2D";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "global_average_pooling2d";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ArgumentException($"GlobalAveragePooling2D expects an input of shape (height, width, channels); got {inputShape}");
        return new Shape(inputShape[2]);
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int pixels = InputShape[0] * InputShape[1], c = InputShape[2];
        for (int n = 0; n < step.Batch; n++)
        {
            var y = output.AsSpan(n * c, c);
            input.AsSpan(n * pixels * c, c).CopyTo(y);
            for (int p = 1; p < pixels; p++) TensorPrimitives.Add(y, input.AsSpan((n * pixels + p) * c, c), y);
            TensorPrimitives.Multiply(y, 1f / pixels, y);
        }
    }

    /// <summary>dx[n, h, w, c] = dy[n, c] / (H·W).</summary>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int pixels = InputShape[0] * InputShape[1], c = InputShape[2];
        for (int n = 0; n < step.Batch; n++)
        {
            var dx0 = inputGrad.AsSpan(n * pixels * c, c);
            TensorPrimitives.Multiply(outputGrad.AsSpan(n * c, c), 1f / pixels, dx0);
            for (int p = 1; p < pixels; p++) dx0.CopyTo(inputGrad.AsSpan((n * pixels + p) * c, c));
        }
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new GlobalAveragePooling2D(name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => BaseConfig();
}
