using Fovea.Models;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;
using static Fovea.Tests.Onnx.OnnxTestGraph;

namespace Fovea.Tests.Onnx;

/// <summary><c>fovea import</c> run as a user would: an ONNX file in, a model file that Model.Load reads out.</summary>
public class ImportCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    private static byte[] Classifier()
    {
        var g = new OnnxTestGraph(9);
        string x = g.Input("x", 1, 3, 8, 8);
        string y = g.Node("Conv", [x, g.Weight([4, 3, 3, 3]), g.Weight([4])], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        y = g.Node("GlobalAveragePool", [g.Node("Relu", [y])]);
        y = g.Node("Softmax", [g.Node("Gemm", [g.Node("Flatten", [y]), g.Weight([4, 3])])]);
        g.Output(y, 1, 3);
        return g.Bytes();
    }

    [Fact]
    public void ImportsAModelFileThatPredictsTheSame()
    {
        string onnx = _temp["model.onnx"], names = _temp["names.txt"], saved = Path.Combine(_temp["out"], "model.safetensors");
        File.WriteAllBytes(onnx, Classifier());
        File.WriteAllText(names, "cat\ndog\nbird\n\n");

        var (code, stdout, stderr) = Fovea("import", "--onnx", onnx, "--out", saved, "--class-names", names);

        Assert.True(code == 0, stderr);
        Assert.Equal(saved, stdout.Trim());
        var loaded = Model.Load(saved);
        Assert.Equal(["cat", "dog", "bird"], loaded.ClassNames);
        var direct = global::Fovea.Onnx.OnnxImporter.Load(onnx);
        var x = new Tensor(new Shape(5, 8, 8, 3), Enumerable.Range(0, 5 * 8 * 8 * 3).Select(i => (i % 17) / 17f).ToArray());
        Assert.Equal(direct.Predict(x).Data, loaded.Model.Predict(x).Data);
    }

    [Fact]
    public void RefusesUnsupportedNodesWithOneLineAndExitTwo()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 2, 4, 4);
        g.Output(g.NodeNamed("LeakyRelu", "leaky", [g.NodeNamed("Sigmoid", "gate", [x])]), "N", 2, 4, 4);
        File.WriteAllBytes(_temp["bad.onnx"], g.Bytes());

        var (code, stdout, stderr) = Fovea("import", "--onnx", _temp["bad.onnx"], "--out", _temp["m.safetensors"]);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("'gate' ('Sigmoid'), 'leaky' ('LeakyRelu')", stderr);
        Assert.False(File.Exists(_temp["m.safetensors"]));
    }

    [Fact]
    public void RefusesMissingFilesAndWrongClassNames()
    {
        var (code, _, stderr) = Fovea("import", "--onnx", _temp["absent.onnx"], "--out", _temp["m.safetensors"]);
        Assert.Equal(2, code);
        Assert.Contains("absent.onnx: no such file", stderr);

        File.WriteAllBytes(_temp["model.onnx"], Classifier());
        File.WriteAllText(_temp["names.txt"], "cat\ndog\n");
        (code, _, stderr) = Fovea("import", "--onnx", _temp["model.onnx"], "--out", _temp["m.safetensors"], "--class-names", _temp["names.txt"]);
        Assert.Equal(2, code);
        Assert.Contains("2 names; the model has 3 outputs", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
