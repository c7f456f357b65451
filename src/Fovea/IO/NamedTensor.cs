using System.Runtime.InteropServices;

namespace Fovea.IO;

/// <summary>
/// One entry of a safetensors file: a name, a shape, a dtype and the elements in row-major order.
/// What <see cref="SafeTensors.Write(string, IReadOnlyList{NamedTensor}, IReadOnlyDictionary{string, string}?)"/>
/// takes and what <see cref="SafeTensors.Read(string, SafeTensorsLimits?)"/> returns.
/// </summary>
/// <remarks>
/// The data is held as given, not copied: a tensor is saved straight from the array that backs it. Mutating that
/// array between creating the entry and writing it changes what is written.
/// </remarks>
public sealed class NamedTensor
{
    private readonly TensorData _data;

    /// <summary>A float32 (F32) entry, the dtype of weights.</summary>
    public NamedTensor(string name, Shape shape, ReadOnlyMemory<float> data)
        : this(name, shape, new TensorData<float>(data)) { }

    /// <summary>A float32 (F32) entry holding <paramref name="tensor"/>'s shape and elements.</summary>
    public NamedTensor(string name, Tensor tensor)
        : this(name, (tensor ?? throw new ArgumentNullException(nameof(tensor))).Shape, tensor.Data) { }

    private NamedTensor(string name, Shape shape, TensorData data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) throw new ArgumentException("tensor name must be non-empty; got \"\"", nameof(name));
        if (data.Length != shape.Size)
            throw new ArgumentException($"data length must equal the size {shape.Size} of shape {shape} for tensor '{name}'; got {data.Length}", nameof(data));
        Name = name;
        Shape = shape;
        _data = data;
    }

    /// <summary>
    /// An entry of any supported element type: <see cref="double"/> (F64), <see cref="float"/> (F32),
    /// <see cref="long"/> (I64), <see cref="int"/> (I32) or <see cref="byte"/> (U8).
    /// For example an optimiser's step counter: <c>NamedTensor.Create("adam/step", new Shape(), new long[] { step })</c>.
    /// </summary>
    public static NamedTensor Create<T>(string name, Shape shape, ReadOnlyMemory<T> data) where T : unmanaged
    {
        if (SafeTensorsDTypes.Of<T>() is null)
            throw new ArgumentException($"element type must be double, float, long, int or byte; got {typeof(T).Name}", nameof(data));
        return new NamedTensor(name, shape, new TensorData<T>(data));
    }

    /// <inheritdoc cref="Create{T}(string, Shape, ReadOnlyMemory{T})"/>
    /// <remarks>An array overload because C# does not infer <typeparamref name="T"/> through the conversion to memory.</remarks>
    public static NamedTensor Create<T>(string name, Shape shape, T[] data) where T : unmanaged =>
        Create(name, shape, new ReadOnlyMemory<T>(data ?? throw new ArgumentNullException(nameof(data))));

    /// <summary>The tensor's name in the file, e.g. <c>conv2d/kernel</c>.</summary>
    public string Name { get; }

    /// <summary>The dimensions; a scalar has rank 0 and one element.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public SafeTensorsDType DType => _data.DType;

    /// <summary>Size of the data in the file: elements times the dtype's size.</summary>
    public long ByteLength => _data.Length * (long)DType.ElementSize();

    /// <summary>The elements; <typeparamref name="T"/> must match <see cref="DType"/> (float for F32, long for I64, ...).</summary>
    public ReadOnlyMemory<T> GetData<T>() where T : unmanaged =>
        _data is TensorData<T> typed
            ? typed.Memory
            : throw new InvalidOperationException($"tensor '{Name}' holds {DType} elements; got a request for {typeof(T).Name}");

    /// <summary>The F32 elements. Throws <see cref="InvalidOperationException"/> for any other dtype.</summary>
    public ReadOnlyMemory<float> Float32Data => GetData<float>();

    internal void WriteDataTo(Stream destination) => _data.WriteTo(destination);

    /// <summary>Wraps an array the reader allocated and nobody else holds.</summary>
    internal static NamedTensor FromOwnedArray<T>(string name, Shape shape, T[] data) where T : unmanaged =>
        new(name, shape, new TensorData<T>(data));

    /// <summary>
    /// The array behind F32 data when it is exactly that array, so that loading a model does not copy every weight twice.
    /// </summary>
    internal bool TryGetWholeFloatArray(out float[] array)
    {
        if (_data is TensorData<float> f && MemoryMarshal.TryGetArray(f.Memory, out ArraySegment<float> segment)
            && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            array = segment.Array;
            return true;
        }
        array = [];
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType}{Shape}";

    /// <summary>The elements with their .NET type erased, so that one entry type covers every dtype.</summary>
    private abstract class TensorData
    {
        public abstract SafeTensorsDType DType { get; }
        public abstract long Length { get; }
        public abstract void WriteTo(Stream destination);
    }

    private sealed class TensorData<T>(ReadOnlyMemory<T> memory) : TensorData where T : unmanaged
    {
        public ReadOnlyMemory<T> Memory { get; } = memory;
        public override SafeTensorsDType DType { get; } = SafeTensorsDTypes.Of<T>()!.Value;
        public override long Length => Memory.Length;
        public override void WriteTo(Stream destination) => LittleEndianElements.Write(destination, Memory.Span);
    }
}
