using System.Diagnostics.CodeAnalysis;

namespace Fovea.IO;

/// <summary>The contents of a safetensors file that has been read and validated.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, NamedTensor> _byName;

    internal SafeTensorsFile(string source, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, NamedTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The path (or display name) the file was read from; it starts every error message about it.</summary>
    public string Source { get; }

    /// <summary>The entries in the order of their data in the file.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether the file has a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor named <paramref name="name"/>, if the file has one.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out NamedTensor? tensor) => _byName.TryGetValue(name, out tensor);

    /// <summary>The entry called <paramref name="name"/>; a missing one is a problem with the file, reported as such.</summary>
    public NamedTensor this[string name] => _byName.TryGetValue(name, out var t)
        ? t
        : throw new InvalidDataFileException($"{Source}: has no tensor named {SafeTensorsText.Quote(name)} (it has {Tensors.Count:N0})");

    /// <summary>
    /// The F32 entry <paramref name="name"/> as a <see cref="Tensor"/>, checked against the shape the model expects.
    /// The tensor shares its elements with this file object rather than copying them.
    /// </summary>
    public Tensor GetTensor(string name, Shape? expectedShape = null)
    {
        NamedTensor entry = this[name];
        if (entry.DType != SafeTensorsDType.F32)
            throw new InvalidDataFileException($"{Source}: tensor {SafeTensorsText.Quote(name)} has dtype {entry.DType}; expected F32");
        if (expectedShape is { } expected && expected != entry.Shape)
            throw new InvalidDataFileException($"{Source}: tensor {SafeTensorsText.Quote(name)} has shape {entry.Shape}; expected {expected}");
        float[] data = entry.TryGetWholeFloatArray(out float[] whole) ? whole : entry.Float32Data.ToArray();
        return new Tensor(entry.Shape, data);
    }
}
