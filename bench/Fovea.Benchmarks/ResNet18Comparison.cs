using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Fovea.Data;
using Fovea.Models;
using Fovea.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Fovea.Benchmarks;

/// <summary>
/// The ImageNet ResNet-18 of ML.NET's DnnImageFeaturizer package, imported by <see cref="OnnxImporter"/>, against ONNX
/// Runtime on the original file: <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --resnet18
/// [--images 100] [--batches 1,16] [--threads 2] [--rounds 5] [--seconds 3] [--layers] [--cifar PATH] [--panel-major 0|1] [--prefetch 0|1] [--winograd-f4 0|1]</c>.
/// Accuracy: CIFAR-10 test pictures upscaled bilinearly to 224 px; ONNX Runtime chains the package's preprocessing
/// model (RGB → BGR less a mean image) and ResNet-18 as ML.NET does; Fovea reorders and subtracts the same mean image
/// and runs the imported model. Speed: the same input on both sides, ONNX Runtime on the original file at batch 1 and
/// on a copy with a free batch axis for larger batches; rounds alternate which side goes first, each side runs about
/// <c>--seconds</c> a round, and the median pass of each round gives the round's ratio; the median ratio is printed.
/// <c>--layers</c> adds Fovea's per-layer times at batch 1 and ONNX Runtime's per-node profile beside them; <c>--cpu</c> takes process CPU time per pass instead of
/// wall time (for a busy machine, with <c>--threads 1</c>).
/// </summary>
internal static class ResNet18Comparison
{
    private const int Side = 224;

    public static void Run(string[] args)
    {
        int images = 100, threads = 2, rounds = 5;
        int[] batches = [1, 16];
        double seconds = 3;
        bool layers = false;
        string cifar = Path.Combine(FindUp("shared"), "datasets", "cifar-10-binary.tar.gz");
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--images": images = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batches": batches = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--cifar": cifar = Next(); break;
                case "--layers": layers = true; break;
                case "--cpu": _cpu = true; break;
                case "--winograd-min-batch": Engine.KernelOptions = Engine.KernelOptions with { WinogradMinBatch = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--winograd-min-pixels": Engine.KernelOptions = Engine.KernelOptions with { WinogradMinPixels = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--winograd-parallel-min-floats": Engine.KernelOptions = Engine.KernelOptions with { WinogradParallelMinFloats = long.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--panel-major": Engine.KernelOptions = Engine.KernelOptions with { PanelMajorPackedKernel = Next() != "0" }; break;
                case "--prefetch": Engine.KernelOptions = Engine.KernelOptions with { PrefetchNextKernelChunk = Next() != "0" }; break;
                case "--winograd-f4": Engine.KernelOptions = Engine.KernelOptions with { WinogradF4 = Next() != "0" }; break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --images, --batches, --threads, --rounds, --seconds, --cifar, --layers, --cpu, --winograd-min-batch, --winograd-min-pixels, --winograd-parallel-min-floats, --panel-major, --prefetch or --winograd-f4");
            }
        }
        Engine.Threads = threads;
        string folder = typeof(ResNet18Comparison).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Package").Value!;
        string resnet = Path.Combine(folder, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        string prep = Path.Combine(folder, "tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        Console.WriteLine($"threads={threads}");
        Console.WriteLine($"onnxruntime_version={OrtEnv.Instance().GetVersionString()}");
        var start = Stopwatch.GetTimestamp();
        var model = OnnxImporter.Load(resnet);
        Console.WriteLine($"import_s={Stopwatch.GetElapsedTime(start).TotalSeconds:F2}");
        Accuracy(model, resnet, prep, cifar, images, threads);
        foreach (int batch in batches) Speed(model, resnet, batch, threads, rounds, seconds);
        if (!layers) return;
        Layers(model);
        using (var session = new InferenceSession(resnet))
            InferenceProfile.OnnxRuntimeProfile(File.ReadAllBytes(resnet), session.InputNames[0], session.OutputNames[0],
                new float[3 * Side * Side], [1, 3, Side, Side], threads, 20);
    }

    private static SessionOptions Options(int threads) => new()
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static void Accuracy(Model model, string resnet, string prep, string cifar, int count, int threads)
    {
        var test = Cifar10.Load(cifar, trainLimit: 1).Test.Take(count).Images;
        float[] mean = MeanImage(prep);
        using var options = Options(threads);
        using var prepSession = new InferenceSession(prep, options);
        using var netSession = new InferenceSession(resnet, options);
        using var run = new RunOptions();
        double maxDiff = 0, maxAbs = 0, maxPrepDiff = 0;
        var nhwc = new float[Side * Side * 3];
        for (int n = 0; n < test.Count; n++)
        {
            var rgb = Upscale(test.Pixels.AsSpan(n * test.ImageSize, test.ImageSize), test.Height, test.Width);   // planar RGB, 0–255
            using var rgbValue = OrtValue.CreateTensorValueFromMemory(rgb, [1, 3, Side, Side]);
            using var prepared = prepSession.Run(run, [prepSession.InputNames[0]], [rgbValue], [prepSession.OutputNames[0]]);
            var prepOut = prepared[0].GetTensorDataAsSpan<float>();
            using var features = netSession.Run(run, [netSession.InputNames[0]], [prepared[0]], [netSession.OutputNames[0]]);
            var expected = features[0].GetTensorDataAsSpan<float>();
            // Fovea: BGR less the mean image, channels-last.
            for (int c = 0; c < 3; c++)
            for (int p = 0; p < Side * Side; p++)
            {
                nhwc[p * 3 + c] = rgb[(2 - c) * Side * Side + p] - mean[c * Side * Side + p];
                maxPrepDiff = Math.Max(maxPrepDiff, Math.Abs(nhwc[p * 3 + c] - prepOut[c * Side * Side + p]));
            }
            var actual = model.Predict(new Tensor(model.InputShape.WithBatch(1), nhwc), batchSize: 1).Data;
            for (int k = 0; k < actual.Length; k++)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs(expected[k]));
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[k] - actual[k]));
            }
        }
        Console.WriteLine($"accuracy.images={test.Count}");
        Console.WriteLine($"accuracy.preprocess_max_abs_diff={maxPrepDiff:G3}");
        Console.WriteLine($"accuracy.max_abs_feature={maxAbs:G4}");
        Console.WriteLine($"accuracy.max_abs_diff={maxDiff:G3}");
        Console.WriteLine($"accuracy.max_abs_diff_relative={maxDiff / maxAbs:G3}");
    }

    /// <summary>The preprocessing model's mean image: its one float initializer of 3 × 224 × 224 values.</summary>
    private static float[] MeanImage(string prep)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(prep));
        var t = proto.Graph.Initializer.Single(i => i.DataType == 1 && i.Dims.Aggregate(1L, (p, d) => p * d) == 3 * Side * Side);
        return t.RawData.Length > 0 ? Enumerable.Range(0, 3 * Side * Side).Select(i => BitConverter.ToSingle(t.RawData.Span[(i * 4)..])).ToArray() : t.FloatData.ToArray();
    }

    /// <summary>Bilinear upscaling (half-pixel centres, edges clamped) of an interleaved RGB byte image to planar RGB floats.</summary>
    internal static float[] Upscale(ReadOnlySpan<byte> image, int h, int w)
    {
        var result = new float[3 * Side * Side];
        for (int y = 0; y < Side; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * h / Side - 0.5f, 0, h - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
            float fy = sy - y0;
            for (int x = 0; x < Side; x++)
            {
                float sx = Math.Clamp((x + 0.5f) * w / Side - 0.5f, 0, w - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                float fx = sx - x0;
                for (int c = 0; c < 3; c++)
                {
                    float top = image[(y0 * w + x0) * 3 + c] * (1 - fx) + image[(y0 * w + x1) * 3 + c] * fx;
                    float bottom = image[(y1 * w + x0) * 3 + c] * (1 - fx) + image[(y1 * w + x1) * 3 + c] * fx;
                    result[(c * Side + y) * Side + x] = top * (1 - fy) + bottom * fy;
                }
            }
        }
        return result;
    }

    private static void Speed(Model model, string resnet, int batch, int threads, int rounds, double seconds)
    {
        var rng = Rng.For(0, "resnet18-bench");
        var x = new float[batch * Side * Side * 3];
        for (int i = 0; i < x.Length; i++) x[i] = 255 * rng.NextSingle() - 120;
        var nchw = new float[x.Length];
        for (int n = 0; n < batch; n++)
        for (int p = 0; p < Side * Side; p++)
        for (int c = 0; c < 3; c++)
            nchw[(n * 3 + c) * Side * Side + p] = x[(n * Side * Side + p) * 3 + c];
        var foveaOut = new float[batch * 512];
        var ortOut = new float[batch * 512];
        using var options = Options(threads);
        using var session = batch == 1 ? new InferenceSession(resnet, options) : new InferenceSession(FreeBatch(resnet), options);
        using var run = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(nchw, [batch, 3, Side, Side]);
        using var output = OrtValue.CreateTensorValueFromMemory(ortOut, [batch, 512, 1, 1]);
        string[] inputNames = [session.InputNames[0]], outputNames = [session.OutputNames[0]];
        OrtValue[] inputs = [input], outputs = [output];
        void Fovea() => model.PredictBatch(foveaOut, x, batch);
        void Ort() => session.Run(run, inputNames, inputs, outputNames, outputs);
        for (int i = 0; i < 3; i++) { Fovea(); Ort(); }
        double maxDiff = foveaOut.Zip(ortOut, (a, b) => Math.Abs(a - b)).Max();

        var ratios = new List<double>();
        var foveaMedians = new List<double>();
        var ortMedians = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double f, o;
            if (r % 2 == 0) { f = MedianPass(Fovea, seconds); o = MedianPass(Ort, seconds); }
            else { o = MedianPass(Ort, seconds); f = MedianPass(Fovea, seconds); }
            ratios.Add(o / f);
            foveaMedians.Add(f);
            ortMedians.Add(o);
        }
        string key = $"resnet18.batch{batch}";
        Console.WriteLine($"{key}.max_abs_diff={maxDiff:G3}");
        Console.WriteLine($"{key}.fovea_ms_per_pass_median={Median(foveaMedians) * 1000:F2}");
        Console.WriteLine($"{key}.onnxruntime_ms_per_pass_median={Median(ortMedians) * 1000:F2}");
        Console.WriteLine($"{key}.fovea_images_per_s={batch / Median(foveaMedians):F1}");
        Console.WriteLine($"{key}.onnxruntime_images_per_s={batch / Median(ortMedians):F1}");
        // > 1: Fovea is faster.
        Console.WriteLine($"{key}.ratio_fovea_over_onnxruntime_median={Median(ratios):F3}");
        Console.WriteLine($"{key}.ratio_range={ratios.Min():F3}..{ratios.Max():F3}");
    }

    /// <summary>A copy of the model whose input and output take any batch size (the file fixes it at 1).</summary>
    private static byte[] FreeBatch(string path)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        foreach (var v in proto.Graph.Input.Concat(proto.Graph.Output).Where(v => v.Type?.TensorType?.Shape?.Dim.Count > 0))
            v.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        proto.Graph.ValueInfo.Clear();
        return proto.ToByteArray();
    }

    /// <summary>Whether a round's figure is process CPU time per pass over the round instead of the median wall time:
    /// on a machine other work keeps busy, CPU time counts each side's own work (use it with <c>--threads 1</c>, where
    /// neither side's threads wait for each other).</summary>
    private static bool _cpu;

    private static double MedianPass(Action pass, double seconds)
    {
        if (_cpu)
        {
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            long begin = Stopwatch.GetTimestamp();
            int passes = 0;
            while (passes < 3 || Stopwatch.GetElapsedTime(begin).TotalSeconds < seconds)
            {
                pass();
                passes++;
            }
            process.Refresh();
            return (process.TotalProcessorTime - cpu).TotalSeconds / passes;
        }
        var times = new List<double>();
        long start = Stopwatch.GetTimestamp();
        while (times.Count < 3 || Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
        {
            long t = Stopwatch.GetTimestamp();
            pass();
            times.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
        }
        return Median(times);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Layers(Model model)
    {
        Console.WriteLine("fovea layers at batch 1 (fastest of 20 passes each):");
        var layers = model.ProfileInference(1, 20);
        double sum = layers.Sum(l => l.Milliseconds);
        foreach (var (layer, ms) in layers)
            Console.WriteLine($"{layer,-28} {ms * 1000,9:F1} us {100 * ms / sum,5:F1}%");
        Console.WriteLine($"sum_of_layers_us={sum * 1000:F1}");
    }

    private static string FindUp(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, name))) return Path.Combine(dir.FullName, name);
        return name;
    }
}
