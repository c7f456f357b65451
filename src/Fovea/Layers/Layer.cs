using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// A layer in the Keras lifecycle: the constructor checks and stores the configuration; <see cref="Build"/> creates
/// the weights once the input shape is known; <see cref="ComputeOutputShape"/> is pure.
/// Forward and backward work on whole batches in NHWC order (outputs, then inputs, then sizes). Buffers are
/// float arrays of at least batch × sample size, owned by the model and reused every step; backward adds into
/// the parameter gradients (zeroing them is the model's visible step) and may overwrite <c>outputGrad</c>.
/// </summary>
public abstract class Layer
{
    private readonly List<Parameter> _parameters = [];
    private int _capacity;

    protected Layer(string? name, Shape? inputShape)
    {
        Name = name;
        DeclaredInputShape = inputShape;
    }

    /// <summary>Unique name within the model (<c>conv2d_1</c>); given by the model when not set.</summary>
    public string? Name { get; internal set; }

    /// <summary>The Keras class name shown in the summary and stored in saved models.</summary>
    public abstract string TypeName { get; }

    /// <summary>Snake-case stem for automatic names (<c>conv2d</c>, <c>max_pooling2d</c>).</summary>
    public abstract string NameStem { get; }

    /// <summary>The per-sample input shape given to the first layer (Keras's <c>input_shape=</c>).</summary>
    public Shape? DeclaredInputShape { get; }

    public bool IsBuilt { get; private set; }
    public Shape InputShape { get; private set; }
    public Shape OutputShape { get; private set; }

    public IReadOnlyList<Parameter> Parameters => _parameters;
    public long ParameterCount => _parameters.Sum(p => (long)p.Length);

    /// <summary>
    /// Set by the model when this last layer's softmax is fused with the cross-entropy loss: forward also keeps the
    /// logits, and backward receives the gradient with respect to them.
    /// </summary>
    internal bool SoftmaxFusedWithLoss { get; set; }

    /// <summary>The per-sample output shape for a per-sample input shape; throws naming the problem if invalid.</summary>
    public abstract Shape ComputeOutputShape(Shape inputShape);

    /// <summary>Creates the weights for <paramref name="inputShape"/> (per sample), drawing initial values from <paramref name="rng"/>.</summary>
    public void Build(Shape inputShape, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (IsBuilt) throw new InvalidOperationException($"layer '{Name}' is already built");
        OutputShape = ComputeOutputShape(inputShape);
        InputShape = inputShape;
        BuildWeights(inputShape, rng);
        IsBuilt = true;
    }

    protected virtual void BuildWeights(Shape inputShape, Rng rng) { }

    /// <summary>
    /// The name and shape of each weight <see cref="Build"/> creates for <paramref name="inputShape"/>, in order,
    /// without creating them: a model file is checked against them before anything is allocated. Pure, like
    /// <see cref="ComputeOutputShape"/>, and only meaningful for an input shape that method accepts.
    /// </summary>
    internal virtual IEnumerable<(string Name, Shape Shape)> WeightShapes(Shape inputShape) => [];

    /// <summary>
    /// Values of per-batch scratch (<see cref="AllocateScratch"/>) per sample beyond the size of the output, e.g.
    /// Conv2D's im2col matrix, for <paramref name="inputShape"/>. Pure; checked with the weights before loading.
    /// </summary>
    internal virtual long ScratchPerSample(Shape inputShape) => 0;

    protected Parameter AddWeight(string name, Shape shape)
    {
        var p = new Parameter(name, shape);
        _parameters.Add(p);
        return p;
    }

    /// <summary>Sizes per-batch scratch (masks, argmax, im2col) for up to <paramref name="batchCapacity"/> samples.</summary>
    internal void Plan(int batchCapacity)
    {
        if (!IsBuilt) throw new InvalidOperationException($"layer '{Name}' must be built before it is planned");
        if (batchCapacity <= _capacity) return;
        _capacity = batchCapacity;
        AllocateScratch(batchCapacity);
    }

    protected virtual void AllocateScratch(int batchCapacity) { }

    protected void CheckCapacity(int batch)
    {
        if (batch > _capacity) throw new InvalidOperationException($"layer '{Name}' was planned for batches of {_capacity}; got {batch}");
    }

    /// <summary>output = layer(input) for <paramref name="batch"/> samples.</summary>
    public abstract void Forward(float[] output, float[] input, int batch, bool training);

    /// <summary>
    /// Given dL/d(output), adds dL/d(weights) into the parameter gradients and, when <paramref name="inputGrad"/> is not
    /// null, writes dL/d(input). Needs the input and output of the forward pass of the same batch.
    /// </summary>
    public abstract void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, int batch);

    /// <summary>The configuration that rebuilds this layer (Keras's <c>get_config</c>), without weights.</summary>
    public abstract JsonObject GetConfig();

    protected JsonObject BaseConfig()
    {
        var config = new JsonObject { ["name"] = Name };
        if (DeclaredInputShape is { } s) config["input_shape"] = new JsonArray(s.Select(d => (JsonNode)d).ToArray());
        return config;
    }

    public override string ToString() => $"{Name ?? NameStem} ({TypeName})";
}
