using Fovea.Models;
using Google.Protobuf;
using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Reads an ONNX model (opsets 8 and later) into a Fovea functional <see cref="Model"/>: its input is the graph's
/// input in channels-last order (a [N, C, H, W] graph gives a model that takes [N, H, W, C]), its weights ordinary
/// weights (BatchNormalization a BatchNormalization layer with its moving statistics), so the model predicts, saves
/// and trains like any other. Convolution weights move from ONNX's [F, C, kh, kw] to Fovea's [kh, kw, C, F]; a Dense
/// layer that reads a flattened channels-first map gets its rows in Fovea's (h, w, c) order. An AveragePool over the
/// whole final map becomes global average pooling, so the network also runs on other image sizes.
/// A graph with nodes that have no Fovea form is refused in one line naming every one of them; a corrupt or hostile
/// file (truncated, cyclic, absurd sizes, data outside its folder) is refused with an <see cref="InvalidDataFileException"/>.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The oldest opset of the default domain read: 8, as CNTK and older exporters wrote.</summary>
    public const int MinOpset = 8;

    /// <summary>The newest opset of the default domain read.</summary>
    public const int MaxOpset = 22;

    /// <summary>Files larger than this are refused before reading (protobuf's own limit is 2 GiB).</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>
    /// Reads the ONNX file at <paramref name="path"/>; external data may sit in files of its folder.
    /// <paramref name="inputShape"/>, in Fovea's order ((H, W, C) for images), fixes the input's size where the file
    /// leaves it open, or replaces the height and width it fixes (a network that ends in global pooling runs at any size).
    /// </summary>
    public static Model Load(string path, Shape? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new InvalidDataFileException($"{path}: no such file");
            if (info.Length > MaxFileBytes) throw new InvalidDataFileException($"{path}: {info.Length} bytes; ONNX files over 2 GiB keep their weights as external data");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataFileException($"{path}: cannot read: {e.Message}", e);
        }
        return Load(bytes, path, new OnnxExternalData(Path.GetDirectoryName(Path.GetFullPath(path))!), inputShape);
    }

    /// <summary>Reads an ONNX model from memory; <paramref name="source"/> names it in messages. External data is refused.</summary>
    public static Model Load(byte[] bytes, string source = "model.onnx", Shape? inputShape = null) => Load(bytes, source, null, inputShape);

    private static Model Load(byte[] bytes, string source, OnnxExternalData? external, Shape? inputShape)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var proto = Parse(bytes, source);
        int opset = Opset(proto, source);
        if (proto.Graph is null) throw new InvalidDataFileException($"{source}: no graph (is this an ONNX model?)");
        var graph = new ImportGraph(proto.Graph, source);
        var unsupported = OnnxSupport.Unsupported(graph, source);
        if (unsupported.Count > 0)
            throw new FoveaException($"{source}: {unsupported.Count} node(s) have no Fovea form: {string.Join(", ", unsupported)}");
        string name = SafeName(proto.Graph.Name);
        try
        {
            var globalPools = inputShape is null ? null : GlobalPoolsAtFileSize(graph, source, opset, external);
            return new NodeImporter(graph, source, opset, external, inputShape) { GlobalPools = globalPools }.Import(name);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException or OutOfMemoryException)
        {
            // A shape no layer accepts, or sizes beyond what this machine can hold: the file's fault, said in one line.
            throw new InvalidDataFileException($"{source}: cannot import: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>The AveragePools global at the file's own input size; none if the file does not fix that size.</summary>
    private static IReadOnlySet<string>? GlobalPoolsAtFileSize(ImportGraph graph, string source, int opset, OnnxExternalData? external)
    {
        try
        {
            return new NodeImporter(graph, source, opset, external, null).FindGlobalPools();
        }
        catch (FoveaException)
        {
            return null;
        }
    }

    private static ModelProto Parse(byte[] bytes, string source)
    {
        try
        {
            // Protobuf's recursion limit (100) bounds nested subgraphs; the size limit is the buffer itself.
            using var input = new CodedInputStream(bytes);
            var proto = new ModelProto();
            proto.MergeFrom(input);
            return proto;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataFileException($"{source}: not a readable ONNX model ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    private static int Opset(ModelProto proto, string source)
    {
        var onnx = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (onnx.Count == 0) throw new InvalidDataFileException($"{source}: no opset of the default ONNX domain is imported");
        long version = onnx.Max(o => o.Version);
        if (version < MinOpset || version > MaxOpset)
            throw new FoveaException($"{source}: opset {version}; the importer reads opsets {MinOpset} to {MaxOpset}");
        return (int)version;
    }

    /// <summary>The graph's name as a Fovea model name (letters, digits, '_', '-', '.'), or "imported".</summary>
    private static string SafeName(string? name)
    {
        var safe = new string((name ?? "").Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.').Take(64).ToArray());
        return safe.Length > 0 ? safe : "imported";
    }
}
