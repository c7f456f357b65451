using Fovea.Onnx;
using Fovea.Tests.Data;
using Google.Protobuf;
using Onnx;
using static Fovea.Tests.Onnx.OnnxTestGraph;

namespace Fovea.Tests.Onnx;

/// <summary>What the importer refuses, each in one line naming the cause.</summary>
public class OnnxImportRefusalTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static T Refused<T>(byte[] bytes, params string[] expected) where T : FoveaException
    {
        var e = Assert.ThrowsAny<T>(() => OnnxImporter.Load(bytes, "bad.onnx"));
        Assert.StartsWith("bad.onnx: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        foreach (string s in expected) Assert.Contains(s, e.Message);
        return e;
    }

    private static OnnxTestGraph Image(out string x, int c = 2, int size = 6)
    {
        var g = new OnnxTestGraph();
        x = g.Input("x", "N", c, size, size);
        return g;
    }

    [Fact]
    public void EveryUnsupportedNodeIsNamedInOneLine()
    {
        var g = Image(out string x, c: 4);
        string y = g.NodeNamed("LeakyRelu", "leaky", [x]);
        y = g.NodeNamed("Conv", "grouped", [y, g.Weight([4, 2, 3, 3])], Ints("kernel_shape", 3, 3), Int("group", 2));
        y = g.NodeNamed("Conv", "dilated", [y, g.Weight([4, 4, 3, 3])], Ints("kernel_shape", 3, 3), Ints("dilations", 2, 2));
        y = g.NodeNamed("Clip", "relu6", [y, g.Weight([], [0f]), g.Weight([], [6f])]);
        y = g.NodeNamed("Erf", "erf", [y]);
        g.Output(y, "N", 4, 2, 2);
        var e = Refused<FoveaException>(g.Bytes(), "5 node(s) have no Fovea form", "'leaky' ('LeakyRelu')", "'grouped' ('Conv': group 2",
            "'dilated' ('Conv': dilations [2, 2]", "'relu6' ('Clip': bounds [0, 6]", "'erf' ('Erf': outside the pattern of GELU)");
        Assert.IsNotType<InvalidDataFileException>(e);
    }

    [Fact]
    public void ShapeDependentRefusals()
    {
        var g = Image(out string x);
        g.Output(g.Node("AveragePool", [x], Ints("kernel_shape", 2, 2)), "N", 2, 5, 5);
        Refused<FoveaException>(g.Bytes(), "AveragePool", "only an average over the whole map");

        g = Image(out x);
        g.Output(g.Node("Mul", [x, g.Weight([1, 2, 6, 6])]), "N", 2, 6, 6);
        Refused<FoveaException>(g.Bytes(), "constant of shape [1, 2, 6, 6]", "one per channel");

        g = Image(out x);
        g.Output(g.Node("Reshape", [x, g.Longs(0, 2, 36)]), "N", 2, 36);
        Refused<FoveaException>(g.Bytes(), "Reshape", "only flattening");

        g = Image(out x);
        g.Output(g.Node("Flatten", [x]), "N", 72);
        Refused<FoveaException>(g.Bytes(), "flattens a channels-first map");
    }

    [Fact]
    public void DynamicOrAbsurdInputShapes()
    {
        var g = new OnnxTestGraph();
        g.Output(g.Node("Relu", [g.Input("x", "N", 3, "height", "width")]), "N", 3, "height", "width");
        Refused<FoveaException>(g.Bytes(), "axis 2 of size 'height'", "give the input shape");
        var e = Assert.ThrowsAny<FoveaException>(() => OnnxImporter.Load(g.Bytes(), "bad.onnx", new Shape(5, 5, 4)));
        Assert.Contains("axis 1 of size 3, not 4", e.Message);

        g = new OnnxTestGraph();
        g.Output(g.Node("Relu", [g.Input("x", "N", 3, 60000, 60000)]), "N", 3, 60000, 60000);
        Refused<FoveaException>(g.Bytes(), "more than 2^26 values");

        g = new OnnxTestGraph();
        g.Input("y", "N", 3);
        g.Output(g.Node("Relu", [g.Input("x", "N", 3)]), "N", 3);
        Refused<InvalidDataFileException>(g.Bytes(), "2 inputs");
    }

    [Fact]
    public void OldOrNewOpsets()
    {
        var g = new OnnxTestGraph { Opset = 7 };
        g.Output(g.Node("Relu", [g.Input("x", "N", 3)]), "N", 3);
        Refused<FoveaException>(g.Bytes(), "opset 7", "opsets 8 to");
    }

    [Fact]
    public void TruncatedAndGarbageFiles()
    {
        byte[] good = OnnxImportFuzzTests.Samples()[0];
        Refused<InvalidDataFileException>(good[..(good.Length / 2)], "not a readable ONNX model");
        Refused<InvalidDataFileException>("not a model at all\n"u8.ToArray());
        Refused<InvalidDataFileException>([], "no");
    }

    [Fact]
    public void CyclesAndUndefinedValues()
    {
        var g = Image(out string x);
        string a = g.NodeNamed("Relu", "a", ["b"]);
        g.NodeNamed("Relu", "b", [a]);
        g.Output("b", "N", 2, 6, 6);
        Refused<InvalidDataFileException>(g.Bytes(), "cycle");

        g = Image(out x);
        g.Output(g.Node("Conv", [x, "missing_weights"], Ints("kernel_shape", 1, 1)), "N", 1, 6, 6);
        Refused<InvalidDataFileException>(g.Bytes(), "'missing_weights', which nothing defines");

        g = Image(out x);
        g.NodeNamed("Relu", "twice", [x]);
        g.NodeNamed("Relu", "twice", [x]);
        g.Output("twice", "N", 2, 6, 6);
        Refused<InvalidDataFileException>(g.Bytes(), "produced twice");
    }

    [Fact]
    public void OversizedOrShortInitializers()
    {
        var g = Image(out string x);
        string w = g.Weight([1], [1f]);
        g.Graph.Initializer[0].Dims.Clear();
        g.Graph.Initializer[0].Dims.AddRange([1 << 20, 1 << 20, 3, 3]);
        g.Output(g.Node("Conv", [x, w], Ints("kernel_shape", 3, 3)), "N", 1, 4, 4);
        Refused<InvalidDataFileException>(g.Bytes(), "more than 268435456 elements");

        g = Image(out x);
        w = g.Weight([2, 2, 3, 3]);
        g.Graph.Initializer[0].RawData = ByteString.CopyFrom(g.Graph.Initializer[0].RawData.Span[..8]);
        g.Output(g.Node("Conv", [x, w], Ints("kernel_shape", 3, 3)), "N", 2, 4, 4);
        Refused<InvalidDataFileException>(g.Bytes(), "holds 8 bytes of data", "144 expected");

        g = Image(out x);
        g.Output(g.Node("Conv", [x, g.Weight([2, 5, 3, 3])], Ints("kernel_shape", 3, 3)), "N", 2, 4, 4);
        Refused<FoveaException>(g.Bytes(), "weights [2, 5, 3, 3] do not fit an input of 2 channels");
    }

    [Fact]
    public void ExternalDataStaysInTheModelsFolder()
    {
        string folder = _temp["model"];
        Directory.CreateDirectory(folder);
        var weights = Enumerable.Range(0, 2 * 2 * 3 * 3).Select(i => i / 36f - 0.5f).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "weights.bin"), [0, 0, 0, 0, .. weights.SelectMany(BitConverter.GetBytes)]);
        File.WriteAllBytes(_temp["secret.bin"], weights.SelectMany(BitConverter.GetBytes).ToArray());

        string Write(string location, long offset)
        {
            var g = Image(out string x);
            var t = new TensorProto { Name = "w", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            t.Dims.AddRange([2, 2, 3, 3]);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            g.Graph.Initializer.Add(t);
            g.Output(g.Node("Conv", [x, "w"], Ints("kernel_shape", 3, 3)), "N", 2, 4, 4);
            string path = Path.Combine(folder, "model.onnx");
            File.WriteAllBytes(path, g.Bytes());
            return path;
        }

        var model = OnnxImporter.Load(Write("weights.bin", 4));
        Assert.Equal(weights[1], model.Layers[0].Weights[0].Value.ToArray().Order().Skip(1).First(), 6);
        foreach (var (location, offset, message) in new[]
                 {
                     ("../secret.bin", 0L, "leads outside the model's folder"),
                     (_temp["secret.bin"], 0L, "must be relative"),
                     ("weights.bin", 8L, "needed from offset 8"),
                     ("absent.bin", 0L, "cannot read external data"),
                 })
        {
            string path = Write(location, offset);
            var e = Assert.ThrowsAny<InvalidDataFileException>(() => OnnxImporter.Load(path));
            Assert.Contains(message, e.Message);
        }
        File.CreateSymbolicLink(Path.Combine(folder, "link.bin"), _temp["secret.bin"]);
        Assert.Contains("leads outside", Assert.Throws<InvalidDataFileException>(() => OnnxImporter.Load(Write("link.bin", 0))).Message);
        Assert.Contains("external", Assert.ThrowsAny<FoveaException>(() => OnnxImporter.Load(File.ReadAllBytes(Write("weights.bin", 4)))).Message);
    }
}
