namespace Fovea.Layers;

/// <summary>
/// A weight and, when trainable, its gradient: named views into the flat blocks a model owns, so that the optimiser
/// walks all weights in one loop. Non-trainable weights (BatchNormalization's moving statistics) have no gradient
/// and are updated by their layer, only when training. A layer built on its own gets private blocks of its own size.
/// </summary>
public sealed class Parameter
{
    internal Parameter(Layer layer, string name, Shape shape, bool trainable)
    {
        Layer = layer;
        Name = name;
        Shape = shape;
        Trainable = trainable;
        Length = checked((int)shape.Size);
        if (t_intoScratch)
        {
            _values = Scratch(ref t_scratchValues, Length);
            _grads = trainable ? Scratch(ref t_scratchGradients, Length) : [];
            return;
        }
        _values = new float[Length];
        _grads = trainable ? new float[Length] : [];
    }

    [ThreadStatic] private static bool t_intoScratch;
    [ThreadStatic] private static float[]? t_scratchValues, t_scratchGradients;

    /// <summary>
    /// Until the scope ends, the parameters this thread creates start in one shared scratch instead of arrays of their
    /// own: for layers built only to be pointed at another model's storage (<see cref="ShareStorageOf"/>), whose
    /// initial values are drawn and dropped. Such a parameter must be re-pointed before it is read.
    /// </summary>
    internal static ScratchScope DrawIntoScratch()
    {
        t_intoScratch = true;
        return default;
    }

    /// <summary>Ends <see cref="DrawIntoScratch"/>.</summary>
    internal readonly struct ScratchScope : IDisposable
    {
        public void Dispose() => t_intoScratch = false;
    }

    private static float[] Scratch(ref float[]? scratch, int length) =>
        scratch is { } s && s.Length >= length ? s : scratch = new float[length];

    private float[] _values;
    private float[] _grads;
    private int _offset;

    /// <summary>The layer that owns this weight.</summary>
    public Layer Layer { get; }

    /// <summary>Name within its layer: <c>kernel</c>, <c>bias</c>, <c>moving_mean</c>, as in Keras.</summary>
    public string Name { get; }

    /// <summary><c>layer/name</c>, e.g. <c>conv2d/kernel</c>: the weight's name in model files.</summary>
    public string Path => $"{Layer.Name}/{Name}";

    /// <summary>The weight's shape, e.g. [kh, kw, cin, filters] for a convolution's kernel.</summary>
    public Shape Shape { get; }
    /// <summary>Number of values in the weight.</summary>
    public int Length { get; }

    /// <summary>False for state such as moving statistics: the optimiser never touches it (Keras's <c>trainable=False</c>).</summary>
    public bool Trainable { get; }

    /// <summary>The weight's values, to read or write. Taking this span counts as a change of the model's weights
    /// (<see cref="Generation"/>): inference caches derived from them (Winograd's transformed kernels) are rebuilt.
    /// Write through a span right after taking it, not after a later prediction.</summary>
    public Span<float> Value
    {
        get
        {
            MarkChanged();
            return _values.AsSpan(_offset, Length);
        }
    }

    /// <summary>The values for reading, without counting as a change.</summary>
    internal ReadOnlySpan<float> Current => _values.AsSpan(_offset, Length);

    private static long s_generation;

    /// <summary>Bumped whenever any weight may have changed (a training step, <see cref="Value"/>, a model's
    /// <c>Weights</c>, a load): a layer may keep something computed from its weights while this stays the same.</summary>
    internal static long Generation => Volatile.Read(ref s_generation);

    internal static void MarkChanged()
    {
        Interlocked.Increment(ref s_updateGeneration);
        Interlocked.Increment(ref s_generation);
    }

    private static long s_updateGeneration;

    /// <summary>Like <see cref="Generation"/>, but not moved by a training pass's own state (BatchNorm's moving
    /// statistics, <see cref="MarkStateChanged"/>): a training step's shards see the same value, so a convolution may
    /// keep what it derived from its kernel from one shard to the next.</summary>
    internal static long UpdateGeneration => Volatile.Read(ref s_updateGeneration);

    /// <summary>Non-trainable state changed (a training pass's moving statistics), the weights the optimiser updates did not.</summary>
    internal static void MarkStateChanged() => Interlocked.Increment(ref s_generation);

    /// <summary>dL/d(weight); empty for a non-trainable weight.</summary>
    public Span<float> Gradient => Trainable ? _grads.AsSpan(_offset, Length) : Span<float>.Empty;

    /// <summary>The offset of this weight within the model's weight block.</summary>
    internal int Offset => _offset;

    /// <summary>The backing arrays and offset, for kernels that hand work to other threads (spans cannot be stored).</summary>
    internal (float[] Values, float[] Grads, int Offset) Storage => (_values, _grads, _offset);

    /// <summary>Moves this parameter into the model's blocks at <paramref name="offset"/>, keeping its values.</summary>
    internal void Rebind(float[] values, float[] grads, int offset)
    {
        Current.CopyTo(values.AsSpan(offset, Length));
        if (Trainable) Gradient.CopyTo(grads.AsSpan(offset, Length));
        (_values, _grads, _offset) = (values, Trainable ? grads : [], offset);
        MarkChanged();
    }

    /// <summary>Points this parameter at <paramref name="source"/>'s storage without copying: an inference replica
    /// of a model reads the very weights the model trains.</summary>
    internal void ShareStorageOf(Parameter source)
    {
        if (source.Shape != Shape || source.Trainable != Trainable)
            throw new InvalidOperationException($"cannot share {source} with {this}: shapes or trainability differ");
        (_values, _grads, _offset) = (source._values, source._grads, source._offset);
        MarkChanged();
    }

    /// <summary>Points a trainable parameter's gradient at <paramref name="grads"/>, a block of its model's layout: a
    /// training replica writes each shard's gradient straight into that shard's block. Its values are untouched, so
    /// nothing derived from them goes stale.</summary>
    internal void PointGradientAt(float[] grads)
    {
        if (!Trainable) return;
        if (grads.Length < _offset + Length) throw new InvalidOperationException($"{this}: the gradient block does not match the model's layout");
        _grads = grads;
    }

    /// <summary>Points this parameter's values at <paramref name="source"/>'s, keeping its own gradient: a training
    /// replica reads the model's weights and writes its own share of the gradient.</summary>
    internal void ShareValuesOf(Parameter source)
    {
        if (source.Shape != Shape || source.Trainable != Trainable)
            throw new InvalidOperationException($"cannot share {source} with {this}: shapes or trainability differ");
        (_values, _offset) = (source._values, source._offset);
        if (Trainable && _grads.Length < _offset + Length)
            throw new InvalidOperationException($"{this}: its gradient block does not match the model's layout");
        MarkChanged();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Path} {Shape}";
}
