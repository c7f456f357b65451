using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace Fovea.Onnx;

/// <summary>A node's attributes by name, with ONNX's defaults; an attribute of the wrong type is refused by name.</summary>
internal readonly struct OnnxAttributes(NodeProto node, string source)
{
    private AttributeProto? Find(string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Find(name) is not null;

    public long Int(string name, long fallback)
    {
        var a = Find(name);
        if (a is null) return fallback;
        return a.Type is AttributeType.Int or AttributeType.Undefined ? a.I : throw Bad(name, "an integer");
    }

    public float Float(string name, float fallback)
    {
        var a = Find(name);
        if (a is null) return fallback;
        return a.Type is AttributeType.Float or AttributeType.Undefined ? a.F : throw Bad(name, "a float");
    }

    public string String(string name, string fallback)
    {
        var a = Find(name);
        if (a is null) return fallback;
        return a.Type is AttributeType.String or AttributeType.Undefined ? a.S.ToStringUtf8() : throw Bad(name, "a string");
    }

    /// <summary>The integers of <paramref name="name"/>, or null if absent.</summary>
    public long[]? Ints(string name)
    {
        var a = Find(name);
        if (a is null) return null;
        return a.Type is AttributeType.Ints or AttributeType.Undefined ? a.Ints.ToArray() : throw Bad(name, "a list of integers");
    }

    public TensorProto? Tensor(string name) => Find(name) is { } a ? a.T ?? throw Bad(name, "a tensor") : null;

    private InvalidDataFileException Bad(string name, string what) =>
        new($"{source}: node {OnnxText.Quote(node.Name)} ({OnnxText.Quote(node.OpType)}): attribute '{name}' must be {what}");
}
