using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Fovea.Models;
using Fovea.Onnx;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Benchmarks;

/// <summary>
/// Peak resident memory beside the memory plan, for each model's training steps and inference passes at its
/// recipe's batch size. Each case runs in a process of its own (a peak is per process): three training steps, or
/// three inference passes, on random pictures, then <c>plan_mb</c> (<see cref="Model.PlanMemory"/>'s total),
/// <c>activations_mb</c> and <c>peak_mb</c> (VmHWM, what <c>/usr/bin/time -v</c> reports).
/// </summary>
internal static class MemoryBenchmark
{
    private const string ResNet18 = "resnet18";

    public static void Run(string[] args)
    {
        string[] models = ["tutorial", "airbench94", "resnet9", ResNet18];
        string[] modes = ["train", "infer"];
        int threads = 2;
        int? batch = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--models": models = Next().Split(','); break;
                case "--modes": modes = Next().Split(','); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --models, --modes, --threads or --batch");
            }
        }
        Console.WriteLine($"threads={threads}");
        foreach (string model in models)
            foreach (string mode in modes)
                RunChild(model, mode, batch, threads);
    }

    /// <summary>One case in a child process of this program, its line passed through.</summary>
    private static void RunChild(string model, string mode, int? batch, int threads)
    {
        string[] self = Environment.GetCommandLineArgs();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under the dotnet host the first argument is the program's assembly.
        if (self[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) start.ArgumentList.Add(self[0]);
        foreach (string a in new[] { "--memory-case", model, mode, batch?.ToString(CultureInfo.InvariantCulture) ?? "0", threads.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        Console.Write(child.ExitCode == 0 ? output : $"model={model} mode={mode} failed (exit {child.ExitCode}) {output.Trim()}\n");
    }

    /// <summary>The child's work: <paramref name="args"/> = model, train|infer, batch (0: the recipe's), threads.</summary>
    public static void Case(string[] args)
    {
        string name = args[0];
        bool training = args[1] == "train";
        int threads = int.Parse(args[3], CultureInfo.InvariantCulture);
        Engine.Threads = threads;
        var (zoo, shape) = Zoo(name);
        if (zoo is null)
        {
            Console.WriteLine($"model={name} mode={args[1]} skipped: {shape}");
            return;
        }
        int batch = int.Parse(args[2], CultureInfo.InvariantCulture) is > 0 and var b ? b : zoo.Recipe.BatchSize;
        var imageShape = new Shape(shape.Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray());
        var model = zoo.Create(imageShape, 10, seed: 0);
        var recipe = zoo.Recipe;
        model.Compile(recipe.Optimizer(new RecipePlan(10, recipe.Epochs, batch, recipe.LearningRate)), recipe.Loss());
        var rng = new Random(0);
        var x = new float[batch * imageShape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
        var output = new float[batch * 10];
        long before = ProcessMemory.PeakResidentBytes();
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < 3; step++)
        {
            if (training) model.TrainOnBatch(x, y);
            else model.PredictBatch(output, x, batch);
        }
        var plan = model.PlanMemory(batch, training);
        const double mb = 1024 * 1024;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model={name} mode={args[1]} shape={shape} batch={batch} plan_mb={plan.TotalBytes / mb:F0} activations_mb={plan.ActivationBytes / mb:F0} "
            + $"weights_mb={plan.WeightBytes / mb:F0} peak_before_mb={before / mb:F0} peak_mb={ProcessMemory.PeakResidentBytes() / mb:F0} "
            + $"seconds_per_pass={clock.Elapsed.TotalSeconds / 3:F2}"));
    }

    /// <summary>The zoo entry and picture shape of a case; resnet18 at 224 px from the ONNX package the
    /// ResNet-18 comparison uses (its own weights: memory does not depend on them), or null with the reason.</summary>
    private static (ZooModel? Zoo, string Shape) Zoo(string name)
    {
        if (name != ResNet18) return (ModelZoo.Get(name), "32x32x3");
        string folder = typeof(MemoryBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Package").Value!;
        string file = Path.Combine(folder, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        if (!File.Exists(file)) return (null, $"{file} is absent");
        return (PretrainedResNet18.Entry(shape => PretrainedModels.LoadFeatures(file, shape)), "224x224x3");
    }
}
