using Xunit.Abstractions;
using Fovea.Layers;
using Fovea.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Fovea.Tests.Onnx;

/// <summary>The real ImageNet ResNet-18 imported and held against ONNX Runtime on the original file.</summary>
public class ResNet18ImportTests(ITestOutputHelper output)
{
    [Fact]
    public void ImportedResNet18GivesOnnxRuntimesFeatures()
    {
        var model = OnnxImporter.Load(ResNet18Package.Model);
        Assert.Equal(new Shape(224, 224, 3), model.InputShape);
        Assert.Equal(new Shape(512), model.OutputShape);
        Assert.Equal(22, model.Layers.Count(l => l is BatchNormalization));
        const int count = 3;
        var (_, pixels) = OnnxModels.Pictures(count, 224, 224, 3, seed: 18);
        // The network's input range: BGR bytes less a mean of roughly 100–125.
        var nhwc = pixels.Select(p => p * 255f - 112f).ToArray();
        var features = model.Predict(new Tensor(model.InputShape.WithBatch(count), nhwc), batchSize: count).Data;

        using var session = new InferenceSession(ResNet18Package.Model, new SessionOptions { IntraOpNumThreads = 2 });
        double maxDiff = 0, maxAbs = 0;
        for (int n = 0; n < count; n++)
        {
            var nchw = ToChannelsFirst(nhwc.AsSpan(n * 224 * 224 * 3, 224 * 224 * 3), 224, 224, 3);
            using var input = OrtValue.CreateTensorValueFromMemory(nchw, [1, 3, 224, 224]);
            using var run = new RunOptions();
            using var result = session.Run(run, [ResNet18Package.InputName], [input], [ResNet18Package.OutputName]);
            var expected = result[0].GetTensorDataAsSpan<float>();
            for (int k = 0; k < 512; k++)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs(expected[k]));
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[k] - features[n * 512 + k]));
            }
        }
        output.WriteLine($"max |feature| {maxAbs:G4}, max |difference| {maxDiff:G4} ({maxDiff / maxAbs:G3} of it)");
        Assert.True(maxAbs > 0.1, "the features are all near zero: the comparison would prove little");
        Assert.True(maxDiff <= 1e-3 * maxAbs, $"max |difference| {maxDiff:G4} exceeds 1e-3 × max |feature| {maxAbs:G4}");
    }

    [Fact]
    public void FinalAveragePoolBecomesGlobalSoTheNetworkRunsAtOtherSizes()
    {
        var model = OnnxImporter.Load(ResNet18Package.Model, new Shape(160, 128, 3));
        Assert.Equal(new Shape(512), model.OutputShape);
        var (_, pixels) = OnnxModels.Pictures(1, 160, 128, 3, seed: 19);
        var features = model.Predict(new Tensor(new Shape(1, 160, 128, 3), pixels.Select(p => p * 255f - 112f).ToArray())).Data;
        Assert.All(features, f => Assert.True(float.IsFinite(f) && f >= 0));
        Assert.Contains(features, f => f > 0.1f);
    }

    internal static float[] ToChannelsFirst(ReadOnlySpan<float> image, int h, int w, int c)
    {
        var result = new float[h * w * c];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        for (int ch = 0; ch < c; ch++)
            result[(ch * h + y) * w + x] = image[(y * w + x) * c + ch];
        return result;
    }
}
