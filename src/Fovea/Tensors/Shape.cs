using System.Collections;

namespace Fovea;

/// <summary>An immutable tensor shape, printed the NumPy way: <c>(50000, 32, 32, 3)</c>.</summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    /// <summary>A shape of the given dimensions, outermost first, each non-negative.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (int d in dims)
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(dims), $"dimensions must be non-negative; got ({string.Join(", ", dims)})");
        _dims = (int[])dims.Clone();
    }

    /// <summary>A shape from a pair, so that <c>(28, 28)</c> can be passed where a shape is expected.</summary>
    public static implicit operator Shape((int, int) t) => new(t.Item1, t.Item2);
    /// <summary>A shape from a triple, so that <c>(32, 32, 3)</c> can be passed where a shape is expected.</summary>
    public static implicit operator Shape((int, int, int) t) => new(t.Item1, t.Item2, t.Item3);

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _dims?.Length ?? 0;
    /// <summary>Number of dimensions, as a list of them.</summary>
    public int Count => Rank;
    /// <summary>The size of dimension <paramref name="axis"/>, 0-based from the outermost.</summary>
    public int this[int axis] => (_dims ?? [])[axis];

    /// <summary>Number of elements: the product of all dimensions (1 for a scalar).</summary>
    public long Size
    {
        get
        {
            long n = 1;
            foreach (int d in _dims ?? []) n *= d;
            return n;
        }
    }

    /// <summary>This shape with a leading batch dimension.</summary>
    public Shape WithBatch(int batch) => new([batch, .. _dims ?? []]);

    /// <summary>This shape without its leading dimension.</summary>
    public Shape DropFirst() => new((_dims ?? [])[1..]);

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])(_dims ?? []).Clone();

    /// <summary>Whether both shapes have the same dimensions in the same order.</summary>
    public bool Equals(Shape other) => (_dims ?? []).AsSpan().SequenceEqual(other._dims ?? []);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims ?? []) h.Add(d);
        return h.ToHashCode();
    }
    /// <summary>Whether both shapes have the same dimensions in the same order.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>Whether the shapes differ in rank or in any dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() => ToString(batchPlaceholder: null);

    /// <summary>Keras prints the batch dimension of a layer's output as <c>None</c>.</summary>
    public string ToString(string? batchPlaceholder)
    {
        var parts = (_dims ?? []).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (batchPlaceholder is not null) parts = parts.Prepend(batchPlaceholder);
        var list = parts.ToList();
        return list.Count == 1 ? $"({list[0]},)" : $"({string.Join(", ", list)})";
    }

    /// <summary>Enumerates the dimensions, outermost first.</summary>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
