using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Microsoft.ML.OnnxRuntime;

namespace Fovea.Tests.Onnx;

/// <summary>Models with non-trivial weights, CIFAR-like pictures, and ONNX Runtime to run what the exporter wrote.</summary>
internal static class OnnxModels
{
    /// <summary>
    /// Pictures that look more like photographs than noise: per image a random colour gradient, a bright or dark
    /// rectangle and some pixel noise, as bytes (for Prepare) and as the [0, 1] floats Predict takes.
    /// </summary>
    public static (ImageSet Bytes, float[] Pixels) Pictures(int count, int height, int width, int channels, long seed)
    {
        var rng = Rng.For(seed, "onnx-pictures");
        var bytes = new byte[count * height * width * channels];
        for (int n = 0; n < count; n++)
        {
            var baseColor = Enumerable.Range(0, channels).Select(_ => rng.NextSingle()).ToArray();
            var slope = Enumerable.Range(0, channels).Select(_ => rng.NextSingle() - 0.5f).ToArray();
            int top = rng.NextInt(height), left = rng.NextInt(width), h = 1 + rng.NextInt(height / 2), w = 1 + rng.NextInt(width / 2);
            float patch = rng.NextSingle() - 0.5f;
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
            {
                float v = baseColor[c] + slope[c] * (x + y) / (height + width) + 0.1f * (rng.NextSingle() - 0.5f);
                if (y >= top && y < top + h && x >= left && x < left + w) v += patch;
                bytes[((n * height + y) * width + x) * channels + c] = (byte)Math.Clamp(MathF.Round(v * 255), 0, 255);
            }
        }
        return (new ImageSet(bytes, count, height, width, channels), bytes.Select(b => b / 255f).ToArray());
    }

    /// <summary>A few optimiser steps on random labels, so that weights and moving statistics leave their initial values.</summary>
    public static void TrainFewSteps(Model model, float[] pixels, int steps, int batch, long seed)
    {
        model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
        int size = (int)model.InputShape.Size, count = pixels.Length / size, classes = model.OutputShape[^1];
        var rng = Rng.For(seed, "onnx-labels");
        for (int s = 0; s < steps; s++)
        {
            int start = s * batch % Math.Max(1, count - batch + 1);
            var y = Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes)).ToArray();
            model.TrainOnBatch(pixels.AsSpan(start * size, batch * size), y);
        }
    }

    /// <summary>ONNX Runtime's output for <paramref name="pixels"/> [count, …inputShape], at the given batch size.</summary>
    public static float[] Run(byte[] onnx, float[] pixels, Shape inputShape, int batch = 250)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnx, options);
        int size = (int)inputShape.Size, count = pixels.Length / size;
        using var run = new RunOptions();
        var outputs = new List<float>();
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            long[] shape = [n, .. inputShape.Select(d => (long)d)];
            using var input = OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(start * size, n * size).ToArray(), shape);
            using var result = session.Run(run, ["images"], [input], ["probabilities"]);
            outputs.AddRange(result[0].GetTensorDataAsSpan<float>().ToArray());
        }
        return outputs.ToArray();
    }

    /// <summary>
    /// Exports <paramref name="model"/>, runs it in ONNX Runtime and holds it against Fovea's Predict: the same top-1
    /// class for every image and probabilities within 1e-4. Returns the largest difference, the number of distinct
    /// top-1 classes (a comparison where every image gets one class would prove little) and the smallest gap between
    /// the two most probable classes of an image.
    /// </summary>
    public static (double MaxDiff, int Classes, double MinMargin) AssertSameAsFovea(Model model, float[] pixels)
    {
        byte[] onnx = Fovea.Onnx.OnnxExporter.ToBytes(model);
        int count = pixels.Length / (int)model.InputShape.Size, classes = model.OutputShape[^1];
        var expected = model.Predict(new Tensor(model.InputShape.WithBatch(count), pixels), batchSize: 100).Data;
        var actual = Run(onnx, pixels, model.InputShape);
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, minMargin = double.MaxValue;
        var tops = new HashSet<int>();
        for (int n = 0; n < count; n++)
        {
            var e = expected.AsSpan(n * classes, classes);
            var a = actual.AsSpan(n * classes, classes);
            for (int k = 0; k < classes; k++) maxDiff = Math.Max(maxDiff, Math.Abs(e[k] - a[k]));
            int top = ArgMax(e), onnxTop = ArgMax(a);
            tops.Add(top);
            for (int k = 0; k < classes; k++) if (k != top) minMargin = Math.Min(minMargin, e[top] - e[k]);
            Assert.True(top == onnxTop,
                $"image {n}: Fovea's top class is {top} ({e[top]}), ONNX Runtime's {onnxTop} ({a[onnxTop]}; Fovea gives it {e[onnxTop]})");
        }
        Assert.True(maxDiff <= 1e-4, $"max |Δprobability| = {maxDiff:G3}; at most 1e-4 allowed");
        Assert.True(tops.Count >= 2, "every image has the same top class: the comparison would prove little");
        return (maxDiff, tops.Count, minMargin);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Replaces every bias, γ, β and moving statistic by random values, so that each enters the comparison.</summary>
    public static void RandomizeVectors(Model model, long seed)
    {
        var rng = Rng.For(seed, "onnx-vectors");
        foreach (var p in model.AllWeights.Where(p => p.Shape.Rank == 1))
        {
            var v = p.Value;
            for (int i = 0; i < v.Length; i++)
                v[i] = p.Name switch
                {
                    "gamma" => 0.5f + rng.NextSingle(),
                    "moving_variance" or "variance" => 0.02f + 0.2f * rng.NextSingle(),
                    _ => rng.NextSingle() - 0.5f,
                };
        }
    }
}
