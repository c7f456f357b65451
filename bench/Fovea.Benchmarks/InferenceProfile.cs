using System.Diagnostics;
using System.Globalization;
using Fovea.Kernels;
using Fovea.Zoo;

namespace Fovea.Benchmarks;

/// <summary>
/// `--infer-layers [--model airbench94] [--batch 1] [--threads 2] [--trials 200] [--warm 20] [--passes N]`: where an
/// inference pass goes, step by step (a fused run counted on its first node; the fastest of the trials for each),
/// beside the fastest whole pass through PredictBatch, then ONNX Runtime's own profile of the same model. `--warm R`
/// runs each step R times in a row and times the last (caches warm: the gap to the default is the hand-over between
/// steps). `--passes N` only runs N whole passes and exits, for timing whole processes (A/B comparisons that alternate them).
/// </summary>
internal static class InferenceProfile
{
    public static void Run(string[] args)
    {
        string name = "airbench94";
        int batch = 1, threads = 2, trials = 200, warm = 1, passes = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--model": name = value; break;
                case "--batch": batch = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--trials": trials = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--winograd-min-batch": Fovea.Engine.KernelOptions = Fovea.Engine.KernelOptions with { WinogradMinBatch = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--warm": warm = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--passes": passes = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --model, --batch, --threads, --trials, --warm, --passes or --winograd-min-batch");
            }
        }
        Engine.Threads = threads;
        var model = ModelZoo.Create(name, seed: 0);
        model.Build();   // a Sequential knows its shapes once built
        int inSize = (int)model.InputShape.Size, outSize = (int)model.OutputShape.Size;
        var x = new float[batch * inSize];
        var rng = Rng.For(0, "infer-layers");
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = new float[batch * outSize];
        if (passes > 0)
        {
            for (int t = 0; t < passes; t++) model.PredictBatch(y, x, batch);
            return;
        }
        // Warm-up (tiered JIT, planning, packed kernels), then the layers, then whole passes.
        for (int t = 0; t < trials; t++) model.PredictBatch(y, x, batch);
        var layers = model.ProfileInference(batch, trials, warm);
        double whole = double.MaxValue;
        for (int t = 0; t < trials; t++)
        {
            long start = Stopwatch.GetTimestamp();
            model.PredictBatch(y, x, batch);
            whole = Math.Min(whole, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        double sum = layers.Sum(l => l.Milliseconds);
        foreach (var (layer, ms) in layers)
            Console.WriteLine($"{layer,-24} {ms * 1000,9:F1} us {100 * ms / sum,5:F1}%");
        Console.WriteLine($"sum_of_layers_us={sum * 1000:F1}");
        Console.WriteLine($"whole_pass_us={whole * 1000:F1}");
        Console.WriteLine($"images_per_s={batch / whole * 1000:F0}");
        OnnxRuntimeProfile(model, x, batch, threads, trials);
    }

    /// <summary>The same per-node view of ONNX Runtime running the exported model (its own profiler's kernel times,
    /// fastest per node), for the layer-by-layer comparison.</summary>
    private static void OnnxRuntimeProfile(Fovea.Models.Model model, float[] x, int batch, int threads, int trials) =>
        OnnxRuntimeProfile(Fovea.Onnx.OnnxExporter.ToBytes(model), Fovea.Onnx.OnnxExporter.InputName, Fovea.Onnx.OnnxExporter.OutputName,
            x, [batch, .. model.InputShape.Select(d => (long)d)], threads, trials);

    /// <summary>ONNX Runtime's profile of any model: the fastest kernel time of each node over the trials, in graph
    /// order, then their sum and the fastest whole pass.</summary>
    internal static void OnnxRuntimeProfile(byte[] onnx, string inputName, string outputName, float[] x, long[] shape, int threads, int trials)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"fovea-ort-profile-{Environment.ProcessId}");
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableProfiling = true,
            ProfileOutputPathPrefix = prefix,
        };
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, options);
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, shape);
        using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
        double whole = double.MaxValue;
        for (int t = 0; t < trials; t++)
        {
            long start = Stopwatch.GetTimestamp();
            using var outputs = session.Run(run, [inputName], [input], [outputName]);
            whole = Math.Min(whole, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        string file = session.EndProfiling();
        var fastest = new Dictionary<string, (string Op, long Us)>();
        var order = new List<string>();
        foreach (var e in System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() != "Node") continue;
            string node = e.GetProperty("name").GetString()!;
            if (!node.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            long us = e.GetProperty("dur").GetInt64();
            string op = e.GetProperty("args").TryGetProperty("op_name", out var o) ? o.GetString()! : "";
            if (!fastest.TryGetValue(node, out var seen)) { order.Add(node); fastest[node] = (op, us); }
            else if (us < seen.Us) fastest[node] = (op, us);
        }
        File.Delete(file);
        Console.WriteLine("onnxruntime:");
        foreach (string node in order)
            Console.WriteLine($"{node[..^"_kernel_time".Length],-40} {fastest[node].Op,-18} {fastest[node].Us,6} us");
        Console.WriteLine($"ort_sum_of_nodes_us={fastest.Values.Sum(v => v.Us)}");
        Console.WriteLine($"ort_whole_pass_us={whole * 1000:F1}");
    }
}
