using System.Diagnostics;
using System.Globalization;
using Fovea.Models;
using Fovea.Onnx;
using Fovea.Zoo;
using Microsoft.ML.OnnxRuntime;

namespace Fovea.Benchmarks;

/// <summary>
/// Fovea's inference throughput against ONNX Runtime's on the same model, exported by <see cref="OnnxExporter"/>:
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --onnx [--models tutorial,airbench94]
/// [--batches 256,1] [--threads 2] [--rounds 7] [--seconds 0.25] [--winograd-min-pixels N] [--winograd-f4 0|1]</c>.
/// Same random [0, 1) input, same batch, same thread count (ONNX Runtime: IntraOpNumThreads = threads,
/// InterOpNumThreads = 1, sequential execution, all graph optimisations). Each round runs Fovea and then ONNX Runtime
/// for about <c>--seconds</c> each (at least 2 passes), alternating which goes first, so that a burst of load on this
/// shared machine hits both sides alike; each side's fastest pass of the round gives the round's ratio
/// fovea/onnxruntime (throughput), and the median ratio is printed with each side's fastest pass of all rounds as
/// images/s. Both write into preallocated outputs: neither allocates per call.
/// </summary>
internal static class OnnxComparison
{
    public static void Run(string[] args)
    {
        string[] models = ["tutorial", "airbench94"];
        int[] batches = [256, 1];
        int threads = 2, rounds = 7;
        double seconds = 0.25;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--models": models = value.Split(','); break;
                case "--batches": batches = value.Split(',').Select(Parse).ToArray(); break;
                case "--threads": threads = Parse(value); break;
                case "--rounds": rounds = Parse(value); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--winograd-min-pixels": Engine.KernelOptions = Engine.KernelOptions with { WinogradMinPixels = Parse(value) }; break;
                case "--winograd-f4": Engine.KernelOptions = Engine.KernelOptions with { WinogradF4 = value != "0" }; break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --models, --batches, --threads, --rounds, --seconds, --winograd-min-pixels or --winograd-f4");
            }
        }
        if (rounds < 1) throw new ArgumentException($"--rounds must be at least 1; got {rounds}");
        Engine.Threads = threads;
        Console.WriteLine($"threads={threads}");
        Console.WriteLine($"rounds={rounds}");
        Console.WriteLine($"onnxruntime_version={OrtEnv.Instance().GetVersionString()}");
        foreach (string name in models)
            foreach (int batch in batches)
                Compare(name, batch, threads, rounds, seconds);
    }

    private static void Compare(string name, int batch, int threads, int rounds, double seconds)
    {
        var model = ModelZoo.Create(name, seed: 0);
        byte[] onnx = OnnxExporter.ToBytes(model);
        int inSize = (int)model.InputShape.Size, outSize = (int)model.OutputShape.Size;
        var rng = Rng.For(0, "onnx-bench");
        var x = new float[batch * inSize];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var foveaOut = new float[batch * outSize];
        var ortOut = new float[batch * outSize];

        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(onnx, options);
        using var run = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, .. model.InputShape.Select(d => (long)d)]);
        using var output = OrtValue.CreateTensorValueFromMemory(ortOut, [batch, .. model.OutputShape.Select(d => (long)d)]);
        string[] inputNames = [OnnxExporter.InputName], outputNames = [OnnxExporter.OutputName];
        OrtValue[] inputs = [input], outputs = [output];
        void Fovea() => model.PredictBatch(foveaOut, x, batch);
        void Ort() => session.Run(run, inputNames, inputs, outputNames, outputs);

        // Warm-up (tiered JIT, buffer planning, ONNX Runtime's first-run allocations): at least 10 passes and 0.5 s a side.
        double foveaPass = WarmUp(Fovea), ortPass = WarmUp(Ort);
        double maxDiff = foveaOut.Zip(ortOut, (a, b) => Math.Abs(a - b)).Max();
        int passes = Math.Max(2, (int)(seconds / Math.Max(foveaPass, ortPass)));

        // Each round: the fastest of its passes on each side (a preempted pass only ever adds time), then their ratio.
        var ratios = new List<double>();
        double bestFovea = double.MaxValue, bestOrt = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            double f, o;
            if (r % 2 == 0)
            {
                f = FastestPass(Fovea, passes);
                o = FastestPass(Ort, passes);
            }
            else
            {
                o = FastestPass(Ort, passes);
                f = FastestPass(Fovea, passes);
            }
            ratios.Add(o / f);
            bestFovea = Math.Min(bestFovea, f);
            bestOrt = Math.Min(bestOrt, o);
        }
        ratios.Sort();
        double median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
        string key = $"{name}.batch{batch}";
        Console.WriteLine($"{key}.passes_per_round={passes}");
        Console.WriteLine($"{key}.max_abs_diff={maxDiff.ToString("G3", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"{key}.fovea_images_per_s={F(batch / bestFovea, 0)}");
        Console.WriteLine($"{key}.onnxruntime_images_per_s={F(batch / bestOrt, 0)}");
        // > 1: Fovea is faster. Ratios of the same round, so a slow round slows both sides.
        Console.WriteLine($"{key}.ratio_fovea_over_onnxruntime_median={F(median, 3)}");
        Console.WriteLine($"{key}.ratio_range={F(ratios[0], 3)}..{F(ratios[^1], 3)}");
    }

    /// <summary>Runs <paramref name="pass"/> at least 10 times and for at least half a second; returns the fastest pass in seconds.</summary>
    private static double WarmUp(Action pass)
    {
        double fastest = double.MaxValue;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 10 || Stopwatch.GetElapsedTime(start).TotalSeconds < 0.5; i++) fastest = Math.Min(fastest, FastestPass(pass, 1));
        return fastest;
    }

    /// <summary>The fastest of <paramref name="passes"/> calls, in wall seconds.</summary>
    private static double FastestPass(Action pass, int passes)
    {
        double fastest = double.MaxValue;
        for (int i = 0; i < passes; i++)
        {
            long start = Stopwatch.GetTimestamp();
            pass();
            fastest = Math.Min(fastest, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return fastest;
    }

    private static int Parse(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
