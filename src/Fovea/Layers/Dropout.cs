using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// Keras's <c>Dropout</c>: in training, each value is zeroed with probability <see cref="Rate"/> and the rest scaled by
/// 1/(1 − rate); at inference it passes values through. The mask is drawn from the model's per-step seed, the
/// layer's name and the shard of the batch, so a resumed run, or one on another number of processes, draws the same masks.
/// </summary>
public sealed class Dropout : UnaryLayer, ILayerFactory
{
    private float[] _mask = [];

    /// <summary>Dropout that zeroes each value with probability <paramref name="rate"/> in training and scales the rest by
    /// 1/(1 − rate), Keras's <c>Dropout(rate)</c>; identity at inference.</summary>
    public Dropout(float rate, string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"rate must be in [0, 1); got {rate}");
        Rate = rate;
    }

    /// <summary>Probability that a value is dropped in training, in [0, 1).</summary>
    public float Rate { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Dropout";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "dropout";
    internal override bool IndependentSamplesInTraining => Rate == 0;
    // Each shard of a batch draws its masks from its own stream, keyed by the shard's number.
    internal override bool TrainsInShards => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override void AllocateScratch(int batchCapacity) => _mask = new float[batchCapacity * OutputShape.Size];

    internal override long ScratchBytes(int batchCapacity, bool training) => 4L * batchCapacity * OutputShape.Size;

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int batch = step.Batch;
        CheckCapacity(batch);
        int n = batch * (int)OutputShape.Size;
        if (!step.Training || Rate == 0)
        {
            input.AsSpan(0, n).CopyTo(output);
            _mask.AsSpan(0, n).Fill(1f);
            return;
        }
        var rng = Rng.For(step.Seed, "dropout/" + Name, step.Shard);
        float keep = 1f / (1 - Rate);
        for (int i = 0; i < n; i++)
        {
            _mask[i] = rng.NextSingle() < Rate ? 0f : keep;
            output[i] = input[i] * _mask[i];
        }
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int n = step.Batch * (int)OutputShape.Size;
        System.Numerics.Tensors.TensorPrimitives.Multiply(outputGrad.AsSpan(0, n), _mask.AsSpan(0, n), inputGrad.AsSpan(0, n));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Dropout(config.Float("rate"), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["rate"] = Rate;
        return c;
    }
}
