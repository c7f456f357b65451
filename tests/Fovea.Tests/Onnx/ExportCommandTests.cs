using System.Text.Json;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;
using Fovea.Zoo;
using Microsoft.ML.OnnxRuntime;

namespace Fovea.Tests.Onnx;

/// <summary><c>fovea export</c> run as a user would: a saved model in, an ONNX file that predicts the same out.</summary>
public class ExportCommandTests : IDisposable
{
    private static readonly string[] ClassNames = FakeCifar10.OfficialClassNames;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    [Fact]
    public void ExportsASavedModelThatPredictsTheSame()
    {
        var model = ModelZoo.SeedCnn(seed: 4);
        string saved = _temp["model.safetensors"], onnx = Path.Combine(_temp["out"], "model.onnx"); // the folder does not exist yet
        model.Save(saved, ClassNames);

        var (code, stdout, stderr) = Fovea("export", "--model", saved, "--onnx", onnx);

        Assert.True(code == 0, stderr);
        Assert.Equal(onnx, stdout.Trim());
        byte[] bytes = File.ReadAllBytes(onnx);
        using (var session = new InferenceSession(bytes))
            Assert.Equal(ClassNames, JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));
        var (_, pixels) = OnnxModels.Pictures(20, 32, 32, 3, seed: 5);
        var expected = model.Predict(new Tensor(new Shape(20, 32, 32, 3), pixels)).Data;
        var actual = OnnxModels.Run(bytes, pixels, model.InputShape);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"probability {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void RefusesAMissingModelWithOneLine()
    {
        var (code, stdout, stderr) = Fovea("export", "--model", _temp["missing.safetensors"], "--onnx", _temp["out.onnx"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("missing.safetensors", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(_temp["out.onnx"]));
    }

    [Fact]
    public void RefusesAFolderAsTheOutput()
    {
        string saved = _temp["model.safetensors"];
        ModelZoo.SeedCnn(seed: 4).Save(saved, ClassNames);
        var (code, _, stderr) = Fovea("export", "--model", saved, "--onnx", _temp.Path);
        Assert.Equal(2, code);
        Assert.Equal($"error: --onnx must name a file; got the folder {_temp.Path}", stderr.Trim());
    }

    [Fact]
    public void NeedsBothOptions()
    {
        var (code, _, stderr) = Fovea("export", "--model", _temp["model.safetensors"]);
        Assert.Equal(2, code);
        Assert.Contains("--onnx", stderr);
    }
}
