namespace Fovea.Layers;

/// <summary>
/// A placeholder for a batch of samples of a known per-sample shape while a functional model is being described:
/// the result of <see cref="Input"/> or of calling a layer (<c>layer.Call(x)</c>, Keras's <c>layer(x)</c>).
/// It records which layer produced it from which inputs; <see cref="Models.Model.Model(Input, SymbolicTensor, string)"/> walks
/// those records back from the output.
/// </summary>
public class SymbolicTensor
{
    internal SymbolicTensor(Shape shape, Layer? producer, IReadOnlyList<SymbolicTensor> inputs)
    {
        Shape = shape;
        Producer = producer;
        Inputs = inputs;
    }

    /// <summary>Per-sample shape, without the batch dimension.</summary>
    public Shape Shape { get; }

    /// <summary>The layer whose output this is; null for an <see cref="Input"/>.</summary>
    public Layer? Producer { get; }

    /// <summary>The tensors the producer was called on.</summary>
    public IReadOnlyList<SymbolicTensor> Inputs { get; }

    /// <inheritdoc/>
    public override string ToString() => $"SymbolicTensor(shape={Shape.ToString("None")}, from {(Producer?.ToString() ?? "input")})";
}

/// <summary>The input of a functional model, Keras's <c>keras.Input(shape=(32, 32, 3))</c>.</summary>
public sealed class Input : SymbolicTensor
{
    /// <summary>A model input of per-sample <paramref name="shape"/> (without the batch axis) and an optional <paramref name="name"/>.</summary>
    public Input(Shape shape, string? name = null) : base(CheckShape(shape), null, [])
    {
        if (name is not null && (name.Length is 0 or > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            throw new ArgumentException($"name must be 1 to 128 letters, digits, '_', '-' or '.'; got '{name}'", nameof(name));
        Name = name ?? "input_layer";
    }

    /// <summary>Shown in the summary as Keras does (<c>input_layer (InputLayer)</c>).</summary>
    public string Name { get; }

    private static Shape CheckShape(Shape shape) =>
        shape.Rank >= 1 && shape.All(d => d > 0) ? shape : throw new ArgumentException($"shape must have positive dimensions; got {shape}", nameof(shape));
}
