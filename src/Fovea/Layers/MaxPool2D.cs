using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// Max pooling over NHWC windows, Keras's <c>MaxPool2D</c> (padding 'valid'; strides default to the pool size).
/// Forward remembers where each maximum came from, so backward routes each gradient to that one input.
/// </summary>
public sealed class MaxPool2D : UnaryLayer, ILayerFactory
{
    private int[] _argmax = [];
    private MaxPoolPass _pass = null!;

    /// <summary>Max pooling over <paramref name="poolSize"/> windows, as Keras's <c>MaxPooling2D(pool_size, strides)</c>; strides default to the pool size.</summary>
    public MaxPool2D((int Height, int Width) poolSize, (int Height, int Width)? strides = null, string? name = null, Shape? inputShape = null)
        : base(name, inputShape)
    {
        if (poolSize.Height <= 0 || poolSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(poolSize), $"poolSize must be positive; got ({poolSize.Height}, {poolSize.Width})");
        var s = strides ?? poolSize;
        if (s.Height <= 0 || s.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(strides), $"strides must be positive; got ({s.Height}, {s.Width})");
        PoolSize = poolSize;
        Strides = s;
    }

    /// <summary>Max pooling over square <paramref name="poolSize"/> windows with the same stride (Keras's <c>MaxPooling2D(2)</c>).</summary>
    public MaxPool2D(int poolSize = 2, string? name = null) : this((poolSize, poolSize), null, name) { }

    /// <summary>Height and width of the pooling window.</summary>
    public (int Height, int Width) PoolSize { get; }
    /// <summary>Vertical and horizontal step of the window.</summary>
    public (int Height, int Width) Strides { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "MaxPooling2D";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "max_pooling2d";
    internal override bool IndependentSamplesInTraining => true;

    // Backward routes gradients through the kept argmax alone.
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ArgumentException($"MaxPool2D expects an input of shape (height, width, channels); got {inputShape}");
        int oh = (inputShape[0] - PoolSize.Height) / Strides.Height + 1;
        int ow = (inputShape[1] - PoolSize.Width) / Strides.Width + 1;
        if (inputShape[0] < PoolSize.Height || inputShape[1] < PoolSize.Width)
            throw new ArgumentException($"MaxPool2D pool ({PoolSize.Height}, {PoolSize.Width}) is larger than its input {inputShape}");
        return new Shape(oh, ow, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng) => _pass = Pass();

    /// <summary>A pooling pass over this layer's geometry (the execution plan's fused steps take their own).</summary>
    internal MaxPoolPass Pass() => new(InputShape[0], InputShape[1], InputShape[2], PoolSize, Strides);

    /// <inheritdoc/>
    protected override void AllocateScratch(int batchCapacity) => _argmax = new int[batchCapacity * (int)OutputShape.Size];

    internal override long ScratchBytes(int batchCapacity, bool training) => training ? 4L * batchCapacity * OutputShape.Size : 0;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        CheckCapacity(step.Batch);
        if (step.Training || step.KeepsBackwardState) _pass.Forward(output, _argmax, input, step.Batch);
        else _pass.Infer(output, 0, input, step.Batch);
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        CheckCapacity(step.Batch);
        if (inputGrad is not null) _pass.Backward(inputGrad, outputGrad, _argmax, step.Batch);
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new MaxPool2D(config.Pair("pool_size", 1, 64), config.Pair("strides", 1, 64), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["pool_size"] = new JsonArray(PoolSize.Height, PoolSize.Width);
        c["strides"] = new JsonArray(Strides.Height, Strides.Width);
        return c;
    }
}
