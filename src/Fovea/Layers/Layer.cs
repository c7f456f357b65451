using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// A layer in the Keras lifecycle: the constructor checks and stores the configuration; <see cref="Build(IReadOnlyList{Shape}, Rng)"/> creates
/// the weights once the input shapes are known; <see cref="ComputeOutputShape(IReadOnlyList{Shape})"/> is pure.
/// Forward and backward work on whole batches in NHWC order (outputs, then inputs, then sizes). Buffers are
/// float arrays of at least batch × sample size, owned by the model and reused every step; backward adds into
/// the parameter gradients (zeroing them is the model's visible step), overwrites the input gradients it is given
/// and may overwrite <c>outputGrad</c>. A layer appears once in a model: it keeps its backward scratch in itself.
/// Single-input layers derive from <see cref="UnaryLayer"/>.
/// </summary>
public abstract class Layer
{
    private readonly List<Parameter> _weights = [];
    private int _capacity;

    /// <summary>Stores the layer's name and, for a Sequential's first layer, its declared per-sample input shape.</summary>
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

    /// <summary>The per-sample input shape given to the first layer of a Sequential (Keras's <c>input_shape=</c>).</summary>
    public Shape? DeclaredInputShape { get; }

    /// <summary>How many inputs the layer takes; null for "two or more" (Add, Concatenate).</summary>
    public virtual int? InputCount => 1;

    /// <summary>Whether the weights exist, i.e. the layer has been built for its input shapes.</summary>
    public bool IsBuilt { get; private set; }
    /// <summary>The per-sample shapes of the inputs the layer was built for; empty before it is built.</summary>
    public IReadOnlyList<Shape> InputShapes { get; private set; } = [];

    /// <summary>The (first) input's per-sample shape.</summary>
    public Shape InputShape => InputShapes.Count > 0 ? InputShapes[0] : default;
    /// <summary>The per-sample output shape; set when the layer is built.</summary>
    public Shape OutputShape { get; private set; }

    /// <summary>All weights, trainable and not, in creation order (Keras's <c>weights</c>).</summary>
    public IReadOnlyList<Parameter> Weights => _weights;
    /// <summary>The weights the optimiser updates (Keras's <c>trainable_weights</c>).</summary>
    public IEnumerable<Parameter> TrainableWeights => _weights.Where(w => w.Trainable);
    /// <summary>The weights the optimiser never touches, such as moving statistics (Keras's <c>non_trainable_weights</c>).</summary>
    public IEnumerable<Parameter> NonTrainableWeights => _weights.Where(w => !w.Trainable);

    /// <summary>The trainable weights (kept for code written against the first API).</summary>
    public IReadOnlyList<Parameter> Parameters => _weights.Where(w => w.Trainable).ToList();

    /// <summary>Number of weights, trainable and not, as Keras's summary counts them.</summary>
    public long ParameterCount => _weights.Sum(p => (long)p.Length);

    /// <summary>Weights the optimiser updates: the trainable ones while the layer is not frozen, else none.</summary>
    public long TrainableParameterCount => Trainable ? _weights.Where(p => p.Trainable).Sum(p => (long)p.Length) : 0;

    private bool _trainable = true;
    private static long s_trainabilityGeneration;

    /// <summary>
    /// Keras's <c>layer.trainable</c>: false freezes the layer, whose weights the optimiser then leaves bit for bit as
    /// they are (a frozen BatchNormalization also runs in inference mode, its moving statistics neither used from the
    /// batch nor updated). The weights keep their place in the model's block, so the optimiser's state and checkpoints
    /// keep their layout; a compiled model notices the change at its next training step.
    /// </summary>
    public bool Trainable
    {
        get => _trainable;
        set
        {
            if (_trainable == value) return;
            _trainable = value;
            Interlocked.Increment(ref s_trainabilityGeneration);
        }
    }

    /// <summary>Bumped whenever any layer is frozen or unfrozen: a model re-lays its optimiser and plan when it moved.</summary>
    internal static long TrainabilityGeneration => Volatile.Read(ref s_trainabilityGeneration);

    /// <summary>
    /// Whether a training step of this layer treats every sample on its own (no batch statistics, no randomness drawn
    /// across the batch), so that a batch may be trained in slices whose gradients are summed. False unless a layer
    /// says so: a layer the library does not know keeps the whole-batch step.
    /// </summary>
    internal virtual bool IndependentSamplesInTraining => false;

    /// <summary>
    /// Whether a training step may run this layer on shards of the batch, each shard through its own replica: true
    /// for layers that treat samples on their own, and for those whose batch-wide state is kept per shard
    /// (BatchNormalization's ghost statistics, Dropout's masks drawn per shard) and combined by
    /// <see cref="UpdateFromShardStatistics"/>.
    /// </summary>
    internal virtual bool TrainsInShards => IndependentSamplesInTraining;

    /// <summary>Set on the layers of a shard's replica: state that a step updates from the batch (moving statistics)
    /// is left alone and reported by <see cref="WriteShardStatistics"/>, to be combined once over all shards.</summary>
    internal bool InShardReplica { get; set; }

    /// <summary>How many numbers a shard's training step reports for <see cref="UpdateFromShardStatistics"/>.</summary>
    internal virtual int ShardStatisticsLength => 0;

    /// <summary>A shard replica's statistics of its last training forward pass, <see cref="ShardStatisticsLength"/> numbers.</summary>
    internal virtual void WriteShardStatistics(Span<float> destination) { }

    /// <summary>Updates the state from every shard's statistics, given shard by shard in shard order
    /// (<paramref name="shards"/> rows of <see cref="ShardStatisticsLength"/>).</summary>
    internal virtual void UpdateFromShardStatistics(ReadOnlySpan<float> statistics, int shards) { }

    /// <summary>Whether backward reads the inputs of the forward pass; if not, the model may reuse their buffers.</summary>
    /// <summary>Frees what the layer derived from its weights to run faster (packed or transformed kernels) and its
    /// scratch; they come back on the next pass. The weights stay.</summary>
    internal virtual void ReleaseMemory() { }

    internal virtual bool BackwardNeedsInputs => true;

    /// <summary>Whether backward reads the output of the forward pass.</summary>
    internal virtual bool BackwardNeedsOutput => true;

    /// <summary>The per-sample output shape for per-sample input shapes; throws naming the problem if invalid.</summary>
    public abstract Shape ComputeOutputShape(IReadOnlyList<Shape> inputShapes);

    /// <summary>Creates the weights for <paramref name="inputShapes"/> (per sample), drawing initial values from <paramref name="rng"/>.</summary>
    public void Build(IReadOnlyList<Shape> inputShapes, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        ArgumentNullException.ThrowIfNull(rng);
        if (IsBuilt) throw new InvalidOperationException($"layer '{Name}' is already built");
        CheckInputCount(inputShapes.Count);
        OutputShape = ComputeOutputShape(inputShapes);
        InputShapes = inputShapes.ToArray();
        BuildWeights(inputShapes, rng);
        IsBuilt = true;
    }

    /// <summary>Builds a single-input layer.</summary>
    public void Build(Shape inputShape, Rng rng) => Build([inputShape], rng);

    internal void CheckInputCount(int count)
    {
        if (InputCount is { } n ? count != n : count < 2)
            throw new ArgumentException($"{TypeName} '{Name ?? NameStem}' takes {(InputCount is { } k ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : "two or more")} input{(InputCount == 1 ? "" : "s")}; got {count}");
    }

    /// <summary>Creates the layer's weights with <see cref="AddWeight"/> once the input shapes are known, drawing initial values from <paramref name="rng"/>.</summary>
    protected virtual void BuildWeights(IReadOnlyList<Shape> inputShapes, Rng rng) { }

    /// <summary>
    /// The name, shape and trainability of each weight <see cref="Build(IReadOnlyList{Shape}, Rng)"/> creates for <paramref name="inputShapes"/>,
    /// in order, without creating them: a model file is checked against them before anything is allocated. Pure,
    /// like <see cref="ComputeOutputShape(IReadOnlyList{Shape})"/>, and only meaningful for input shapes it accepts.
    /// </summary>
    internal virtual IEnumerable<(string Name, Shape Shape)> WeightShapes(IReadOnlyList<Shape> inputShapes) => [];

    /// <summary>
    /// Values of per-batch scratch (<see cref="AllocateScratch"/>) per sample beyond the size of the output, e.g.
    /// Conv2D's im2col matrix, for <paramref name="inputShapes"/>. Pure; checked with the weights before loading.
    /// </summary>
    internal virtual long ScratchPerSample(IReadOnlyList<Shape> inputShapes) => 0;

    /// <summary>Creates a weight of this layer, from <see cref="BuildWeights(IReadOnlyList{Shape}, Rng)"/>; non-trainable weights get no gradient.</summary>
    protected Parameter AddWeight(string name, Shape shape, bool trainable = true)
    {
        var p = new Parameter(this, name, shape, trainable);
        _weights.Add(p);
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

    /// <summary>Bytes of the per-batch state <see cref="AllocateScratch"/> keeps for <paramref name="batchCapacity"/>
    /// samples that a <paramref name="training"/> step uses (max-pool positions, dropout masks, kept logits): the
    /// memory plan counts it. Pure.</summary>
    internal virtual long ScratchBytes(int batchCapacity, bool training) => 0;

    /// <summary>Allocates per-batch scratch (masks, argmax, im2col) for up to <paramref name="batchCapacity"/> samples.</summary>
    protected virtual void AllocateScratch(int batchCapacity) { }

    /// <summary>Throws if <paramref name="batch"/> exceeds the capacity the layer was planned for.</summary>
    protected void CheckCapacity(int batch)
    {
        if (batch > _capacity) throw new InvalidOperationException($"layer '{Name}' was planned for batches of {_capacity}; got {batch}");
    }

    /// <summary>output = layer(inputs) for <paramref name="step"/>'s batch.</summary>
    public abstract void Forward(float[] output, IReadOnlyList<float[]> inputs, in StepContext step);

    /// <summary>
    /// Given dL/d(output), adds dL/d(weights) into the gradients and writes dL/d(input i) into each
    /// <paramref name="inputGrads"/>[i] that is not null. Needs the inputs and output of the forward pass of the same batch.
    /// </summary>
    public abstract void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, in StepContext step);

    /// <summary><see cref="Forward(float[], IReadOnlyList{float[]}, in StepContext)"/> outside a model's step: the
    /// batch is whole, the seed 0.</summary>
    public void Forward(float[] output, IReadOnlyList<float[]> inputs, int batch, bool training) =>
        Forward(output, inputs, new StepContext(batch, training));

    /// <summary><see cref="Backward(IReadOnlyList{float[]}, float[], IReadOnlyList{float[]}, float[], in StepContext)"/>
    /// of a training step outside a model's.</summary>
    public void Backward(IReadOnlyList<float[]?> inputGrads, float[] outputGrad, IReadOnlyList<float[]> inputs, float[] output, int batch) =>
        Backward(inputGrads, outputGrad, inputs, output, new StepContext(batch, training: true));

    /// <summary>The configuration that rebuilds this layer (Keras's <c>get_config</c>), without weights.</summary>
    public abstract JsonObject GetConfig();

    /// <summary>The configuration every layer shares (name, declared input shape), to extend in <see cref="GetConfig"/>.</summary>
    protected JsonObject BaseConfig()
    {
        var config = new JsonObject { ["name"] = Name };
        if (DeclaredInputShape is { } s) config["input_shape"] = new JsonArray(s.Select(d => (JsonNode)d).ToArray());
        // Keras's key; written only for a frozen layer, so that files of models never frozen stay as they were.
        if (!Trainable) config["trainable"] = false;
        return config;
    }

    /// <summary>Calls the layer on symbolic tensors (Keras's <c>layer(x)</c>), recording a node of a functional model.</summary>
    public SymbolicTensor Call(params SymbolicTensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_called) throw new InvalidOperationException($"layer '{Name ?? NameStem}' has already been called: create one layer per use (weights are not shared)");
        if (IsBuilt) throw new InvalidOperationException($"layer '{Name ?? NameStem}' is already built in another model");
        CheckInputCount(inputs.Length);
        var shape = ComputeOutputShape(inputs.Select(i => i.Shape).ToArray());
        _called = true;
        return new SymbolicTensor(shape, this, inputs);
    }

    private bool _called;

    /// <inheritdoc/>
    public override string ToString() => $"{Name ?? NameStem} ({TypeName})";
}
