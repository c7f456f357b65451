using System.Text.Json;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;
using Fovea.Models;
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

    /// <summary>
    /// The tutorial CNN made deliberately far from uniform (an untrained model's probabilities are all near 0.1, where
    /// any two outputs agree to 1e-4): every kernel tripled (logits ×81), then the last bias set so that each class's
    /// mean log-probability over <paramref name="pixels"/> is the same, so that the top class follows the picture.
    /// </summary>
    private static Sequential NonUniformModel(float[] pixels, int images)
    {
        var model = ModelZoo.SeedCnn(seed: 4);
        model.Build();
        foreach (var p in model.AllWeights.Where(p => p.Shape.Rank > 1))
            foreach (ref float w in p.Value) w *= 3;
        var probabilities = model.Predict(new Tensor(model.InputShape.WithBatch(images), pixels)).Data;
        var bias = model.Layers[^1].TrainableWeights.Single(p => p.Name == "bias").Value;
        int classes = bias.Length;
        for (int k = 0; k < classes; k++)
        {
            double meanLog = 0;
            for (int n = 0; n < images; n++) meanLog += Math.Log(Math.Max(probabilities[n * classes + k], 1e-30f)) / images;
            bias[k] -= (float)meanLog;
        }
        return model;
    }

    /// <summary>Images whose top class differs between the two outputs, and the largest difference of a probability.</summary>
    private static (int TopMismatches, double MaxDiff) Compare(float[] expected, float[] actual, int classes)
    {
        int mismatches = 0;
        double maxDiff = 0;
        for (int n = 0; n < expected.Length / classes; n++)
        {
            var e = expected.AsSpan(n * classes, classes);
            var a = actual.AsSpan(n * classes, classes);
            if (OnnxModels.ArgMax(e) != OnnxModels.ArgMax(a)) mismatches++;
            for (int k = 0; k < classes; k++) maxDiff = Math.Max(maxDiff, Math.Abs(e[k] - a[k]));
        }
        return (mismatches, maxDiff);
    }

    [Fact]
    public void ExportsASavedModelThatPredictsTheSame()
    {
        const int images = 40, classes = 10;
        var (_, pixels) = OnnxModels.Pictures(images, 32, 32, 3, seed: 5);
        var model = NonUniformModel(pixels, images);
        string saved = _temp["model.safetensors"], onnx = Path.Combine(_temp["out"], "model.onnx"); // the folder does not exist yet
        model.Save(saved, ClassNames);

        var (code, stdout, stderr) = Fovea("export", "--model", saved, "--onnx", onnx);

        Assert.True(code == 0, stderr);
        Assert.Equal(onnx, stdout.Trim());
        byte[] bytes = File.ReadAllBytes(onnx);
        using (var session = new InferenceSession(bytes))
            Assert.Equal(ClassNames, JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));
        var expected = model.Predict(new Tensor(new Shape(images, 32, 32, 3), pixels)).Data;
        var actual = OnnxModels.Run(bytes, pixels, model.InputShape);
        Assert.Equal(expected.Length, actual.Length);

        // The setup has teeth: confident answers spread over several classes.
        var tops = Enumerable.Range(0, images).Select(n => OnnxModels.ArgMax(expected.AsSpan(n * classes, classes))).ToArray();
        Assert.True(tops.Distinct().Count() >= 3, $"top classes: {string.Join(' ', tops)}");
        double confidence = tops.Select((t, n) => expected[n * classes + t]).Average();
        Assert.True(confidence >= 0.4, $"the model's answers are not confident enough to compare: mean top probability {confidence:F3}");

        var (mismatches, maxDiff) = Compare(expected, actual, classes);
        Assert.True(mismatches == 0, $"{mismatches} of {images} images get another top class from the ONNX file");
        Assert.True(maxDiff <= 1e-4, $"max |Δprobability| = {maxDiff:G3}; at most 1e-4 allowed");

        // And the same comparison tells a slightly different model apart: the last layer without its bias.
        var other = Model.Load(saved).Model;
        other.Layers[^1].TrainableWeights.Single(p => p.Name == "bias").Value.Clear();
        var (otherMismatches, otherDiff) = Compare(other.Predict(new Tensor(new Shape(images, 32, 32, 3), pixels)).Data, actual, classes);
        Assert.True(otherMismatches > 0 && otherDiff > 1e-2, $"a model without its last bias would pass: {otherMismatches} top-class changes, max Δ {otherDiff:G3}");
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
