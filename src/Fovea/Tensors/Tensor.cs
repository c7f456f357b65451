namespace Fovea;

/// <summary>
/// A dense float32 tensor in row-major (C) order. Image tensors are NHWC, as in Keras:
/// a batch of CIFAR images is <c>(N, 32, 32, 3)</c>.
/// </summary>
public sealed class Tensor
{
    /// <summary>A tensor of zeros of <paramref name="shape"/>.</summary>
    public Tensor(Shape shape) : this(shape, new float[checked((int)shape.Size)]) { }

    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="data"/>, which it keeps (no copy) and whose length must be the shape's size.</summary>
    public Tensor(Shape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != shape.Size)
            throw new ArgumentException($"data length must equal the shape's size {shape.Size} for {shape}; got {data.Length}", nameof(data));
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's shape, e.g. (N, 32, 32, 3).</summary>
    public Shape Shape { get; }

    /// <summary>The elements, row-major. Owned by this tensor; writes are visible through it.</summary>
    public float[] Data { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;
    /// <summary>The elements as a span, row-major.</summary>
    public Span<float> Span => Data;

    /// <summary>The element at a full index, one coordinate per dimension (NumPy's <c>x[n, h, w, c]</c>).</summary>
    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    private int Offset(int[] index)
    {
        if (index.Length != Shape.Rank)
            throw new ArgumentException($"index rank must be {Shape.Rank}; got {index.Length}", nameof(index));
        int offset = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i]) throw new IndexOutOfRangeException($"index {index[i]} is out of range for axis {i} of {Shape}");
            offset = offset * Shape[i] + index[i];
        }
        return offset;
    }

    /// <summary>The same elements seen with another shape of the same size (NumPy's <c>reshape</c>); shares the data, no copy.</summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.Size != Shape.Size) throw new ArgumentException($"cannot reshape {Shape} to {shape}", nameof(shape));
        return new Tensor(shape, Data);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape}";
}
