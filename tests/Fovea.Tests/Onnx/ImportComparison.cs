using Fovea.Models;
using Fovea.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Fovea.Tests.Onnx;

/// <summary>Imports an ONNX model and holds Fovea's Predict against ONNX Runtime's run of the same file.</summary>
internal static class ImportComparison
{
    /// <summary>
    /// Runs both on <paramref name="batch"/> random inputs of ONNX shape [batch, …<paramref name="sample"/>] (channels-first
    /// unless <paramref name="channelsLast"/>); returns the imported model and the largest difference relative to the
    /// largest output, after checking it is at most <paramref name="tolerance"/>.
    /// </summary>
    public static (Model Model, double RelativeDiff) Check(byte[] onnx, int[] sample, bool channelsLast = false, int batch = 2, double tolerance = 1e-5, long seed = 3,
        Shape? inputShape = null)
    {
        var model = OnnxImporter.Load(onnx, "test.onnx", inputShape);
        var rng = Rng.For(seed, "import-comparison");
        int size = sample.Aggregate(1, (p, d) => p * d);
        var x = Enumerable.Range(0, batch * size).Select(_ => 2 * rng.NextSingle() - 1).ToArray();
        bool image = sample.Length == 3;
        var foveaInput = image && !channelsLast ? ToChannelsLast(x, batch, sample) : x;
        var actual = model.Predict(new Tensor(model.InputShape.WithBatch(batch), foveaInput), batchSize: batch).Data;

        using var session = new InferenceSession(onnx);
        string inputName = session.InputNames[0], outputName = session.OutputNames[0];
        using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, .. sample.Select(d => (long)d)]);
        using var run = new RunOptions();
        using var result = session.Run(run, [inputName], [input], [outputName]);
        var shape = result[0].GetTensorTypeAndShape().Shape;
        var expected = result[0].GetTensorDataAsSpan<float>().ToArray();
        if (shape.Length == 4 && model.OutputShape.Rank == 3 && !channelsLast)
            expected = ToChannelsLast(expected, batch, [(int)shape[1], (int)shape[2], (int)shape[3]]);
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = expected.Max(v => Math.Abs(v)), maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
        double relative = maxDiff / Math.Max(maxAbs, 1e-12);
        Assert.True(maxAbs > 1e-3, "the outputs are all near zero: the comparison would prove little");
        Assert.True(relative <= tolerance, $"max |difference| {maxDiff:G4} is {relative:G3} of max |output| {maxAbs:G4}");
        return (model, relative);
    }

    /// <summary>[N, C, H, W] → [N, H, W, C] for a sample of ONNX shape (C, H, W).</summary>
    public static float[] ToChannelsLast(float[] x, int batch, int[] chw)
    {
        int c = chw[0], h = chw[1], w = chw[2];
        var y = new float[x.Length];
        for (int n = 0; n < batch; n++)
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            y[((n * h + i) * w + j) * c + ch] = x[((n * c + ch) * h + i) * w + j];
        return y;
    }
}
