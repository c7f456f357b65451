using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// Fully connected layer, Keras's <c>Dense</c>: y = activation(x · kernel + bias), kernel [in, units].
/// Bias and ReLU are applied in the GEMM's epilogue, while the result is still in registers.
/// </summary>
public sealed class Dense : UnaryLayer, ILayerFactory
{
    private Parameter _kernel = null!;
    private Parameter _bias = null!;
    private float[] _logits = [];
    private readonly BiasBackward _biasBackward = new();

    /// <summary>A fully connected layer with <paramref name="units"/> outputs, as Keras's <c>Dense(units, activation, use_bias)</c>
    /// (PyTorch's <c>nn.Linear</c>).</summary>
    public Dense(int units, Activation activation = Activation.Linear, string? name = null, Shape? inputShape = null, bool useBias = true)
        : base(name, inputShape)
    {
        UseBias = useBias;
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), $"units must be positive; got {units}");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), $"unknown activation {activation}");
        Units = units;
        Activation = activation;
    }

    /// <summary>Number of outputs.</summary>
    public int Units { get; }
    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }
    /// <summary>Whether a bias is added to each output.</summary>
    public bool UseBias { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Dense";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "dense";
    internal override bool IndependentSamplesInTraining => true;

    private int InFeatures => InputShape[0];

    /// <summary>The logits of the last forward pass, kept when the softmax is fused with the loss.</summary>
    internal Span<float> Logits(int batch) => _logits.AsSpan(0, batch * Units);

    internal bool KeepsLogits => _logits.Length > 0;

    internal override bool BackwardNeedsOutput => Activation != Activation.Linear;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 1)
            throw new ArgumentException($"Dense expects a flat input of shape (features,); got {inputShape}: add a Flatten layer before '{Name ?? NameStem}'");
        return new Shape(Units);
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        _kernel = AddWeight("kernel", new Shape(inputShape[0], Units));
        if (UseBias) _bias = AddWeight("bias", new Shape(Units));
        Initializers.GlorotUniform(_kernel.Value, inputShape[0], Units, rng);
    }

    internal override IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) =>
        UseBias ? [("kernel", new Shape(inputShape[0], Units)), ("bias", new Shape(Units))] : [("kernel", new Shape(inputShape[0], Units))];

    /// <inheritdoc/>
    protected override void AllocateScratch(int batchCapacity)
    {
        if (Activation == Activation.Softmax) _logits = new float[batchCapacity * Units];
    }

    internal override long ScratchBytes(int batchCapacity, bool training) => Activation == Activation.Softmax ? 4L * batchCapacity * Units : 0;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int batch = step.Batch;
        CheckCapacity(batch);
        int n = Units, k = InFeatures;
        var y = output.AsSpan(0, batch * n);
        // out[batch, units] = in[batch, in] · kernel[in, units] + bias (+ relu)
        bool softmax = Activation == Activation.Softmax;
        Sgemm.Multiply(batch, n, k, input.AsSpan(0, batch * k), k, false, _kernel.Current, n, false,
            softmax ? _logits.AsSpan(0, batch * n) : y, n, bias: UseBias ? _bias.Current : default, relu: Activation == Activation.Relu, threads: Engine.Threads);
        if (softmax) ActivationKernels.Softmax(y, _logits.AsSpan(0, batch * n), batch, n);
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        int batch = step.Batch;
        CheckCapacity(batch);
        int n = Units, k = InFeatures;
        var dz = outputGrad.AsSpan(0, batch * n);
        // dz = dL/d(pre-activation): relu passes where y > 0; softmax y = softmax(z) applies its Jacobian,
        // unless the loss already differentiated through it (fused: dz = p − onehot).
        if (Activation == Activation.Softmax && !step.SoftmaxFusedWithLoss) ActivationKernels.SoftmaxBackward(dz, output.AsSpan(0, batch * n), batch, n);
        // relu'(z) masking, in place, and dbias += Σ_batch dz
        if (UseBias) _biasBackward.Run(_bias.Gradient, outputGrad, output, batch, n, Activation == Activation.Relu);
        else if (Activation == Activation.Relu) ActivationKernels.ReluBackward(dz, output.AsSpan(0, batch * n));

        // dkernel[in, units] += xᵀ[in, batch] · dz[batch, units]
        Sgemm.Multiply(k, n, batch, input.AsSpan(0, batch * k), k, true, dz, n, false, _kernel.Gradient, n, accumulate: true, threads: Engine.Threads);
        // dx[batch, in] = dz[batch, units] · kernelᵀ[units, in]
        if (inputGrad is not null)
            Sgemm.Multiply(batch, k, n, dz, n, false, _kernel.Current, n, true, inputGrad.AsSpan(0, batch * k), k, threads: Engine.Threads);
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Dense(config.Int("units", 1, 1 << 20), config.Enum<Activation>("activation"), name, inputShape,
            !config.Has("use_bias") || config.Bool("use_bias"));

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["units"] = Units;
        c["activation"] = Activation.ToString().ToLowerInvariant();
        if (!UseBias) c["use_bias"] = false;
        return c;
    }
}
