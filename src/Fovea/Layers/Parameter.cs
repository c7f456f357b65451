namespace Fovea.Layers;

/// <summary>
/// A trainable weight and its gradient: named views into the flat blocks a model owns, so that the optimiser
/// walks all weights in one loop. A layer built on its own gets a private block of its own size.
/// </summary>
public sealed class Parameter
{
    internal Parameter(string name, Shape shape)
    {
        Name = name;
        Shape = shape;
        Length = checked((int)shape.Size);
        _values = new float[Length];
        _grads = new float[Length];
    }

    private float[] _values;
    private float[] _grads;
    private int _offset;

    /// <summary>Name within its layer: <c>kernel</c> or <c>bias</c>, as in Keras.</summary>
    public string Name { get; }
    public Shape Shape { get; }
    public int Length { get; }

    public Span<float> Value => _values.AsSpan(_offset, Length);
    public Span<float> Gradient => _grads.AsSpan(_offset, Length);

    /// <summary>The backing arrays and offset, for kernels that hand work to other threads (spans cannot be stored).</summary>
    internal (float[] Values, float[] Grads, int Offset) Storage => (_values, _grads, _offset);

    /// <summary>Moves this parameter into the model's blocks at <paramref name="offset"/>, keeping its values.</summary>
    internal void Rebind(float[] values, float[] grads, int offset)
    {
        Value.CopyTo(values.AsSpan(offset, Length));
        Gradient.CopyTo(grads.AsSpan(offset, Length));
        (_values, _grads, _offset) = (values, grads, offset);
    }
}
