using System.Diagnostics;
using System.Globalization;
using Fovea;
using Fovea.Data;
using Fovea.Models;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Benchmarks;

/// <summary>
/// Whole training steps of a zoo model with one arithmetic against another, alternating in rounds within one process,
/// so that what a busy host does to one side it does to the other: <c>--train-alternate [--model tutorial]
/// [--batch 64] [--threads 2] [--rounds 20] [--steps 40] [--a inference] [--b always] [--a-min-channels N]
/// [--b-min-channels N]</c>, where <c>--a</c> and <c>--b</c> are <see cref="WinogradUse"/> values and
/// <c>--X-min-channels</c> sets <see cref="KernelOptions.WinogradTrainingMinChannels"/> for that side's model and
/// <c>--X-batch</c> its batch size, <c>--X-packed-kernel 0|1</c> its <see cref="KernelOptions.WinogradPackedKernel"/>, <c>--X-weights MODEL.safetensors</c> a trained model's weights (same
/// architecture); <c>--X-shard-images N</c> the fewest images of a training shard; <c>--X-cifar PATH</c> trains that side on CIFAR-10's first pictures instead of noise. Prints each side's median and fastest round as milliseconds per
/// image (wall and process CPU) and the median of the rounds' ratios a/b (above 1: b is faster).
/// </summary>
internal static class TrainingAlternation
{
    public static void Run(string[] args)
    {
        string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        int Int(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        string name = Arg("--model", "tutorial");
        var zoo = ModelZoo.Get(name);
        int batch = Int("--batch", zoo.Recipe.BatchSize), rounds = Int("--rounds", 20), steps = Int("--steps", 40);
        Engine.Threads = Int("--threads", Environment.ProcessorCount);
        var a = Enum.Parse<WinogradUse>(Arg("--a", "inference"), ignoreCase: true);
        var b = Enum.Parse<WinogradUse>(Arg("--b", "always"), ignoreCase: true);

        var defaults = Engine.KernelOptions;
        // Each side trains a model of its own (the same weights): neither finds the other's derived kernels.
        Model Build(string side)
        {
            // A layer's convolution reads the rule when the model is built.
            Engine.KernelOptions = defaults with
            {
                WinogradTrainingMinChannels = Int($"--{side}-min-channels", defaults.WinogradTrainingMinChannels),
                WinogradPackedKernel = Int($"--{side}-packed-kernel", defaults.WinogradPackedKernel ? 1 : 0) != 0,
            };
            var built = zoo.Create(new Shape(32, 32, 3), 10, seed: 0);
            var recipe = zoo.Recipe;
            int size = Int($"--{side}-batch", batch);
            built.Compile(recipe.Optimizer(new RecipePlan(50_000 / size, recipe.Epochs, size, recipe.LearningRate)), recipe.Loss());
            built.ShardImagesAtLeast = Int($"--{side}-shard-images", built.ShardImagesAtLeast);
            return built;
        }
        var modelA = Build("a");
        var modelB = Build("b");
        // A trained model's weights on one side: whether a step's cost depends on what the network has learned.
        foreach (var (side, model) in new[] { ("a", modelA), ("b", modelB) })
            if (Arg($"--{side}-weights", "") is { Length: > 0 } path) Model.Load(path).Model.Weights.CopyTo(model.Weights);
        Engine.KernelOptions = defaults;
        // Options read while a step runs (or when a plan made on first use is made), set for each side's rounds.
        KernelOptions Running(string side) => defaults with { WinogradPackedKernel = Int($"--{side}-packed-kernel", defaults.WinogradPackedKernel ? 1 : 0) != 0 };
        KernelOptions runningA = Running("a"), runningB = Running("b");
        int batchA = Int("--a-batch", batch), batchB = Int("--b-batch", batch);
        var rng = new Random(0);
        var x = new float[Math.Max(batchA, batchB) * modelA.InputShape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = Enumerable.Range(0, Math.Max(batchA, batchB)).Select(i => i % 10).ToArray();
        int pixels = (int)modelA.InputShape.Size;
        float[] xA = x[..(batchA * pixels)], xB = x[..(batchB * pixels)];
        int[] yA = y[..batchA], yB = y[..batchB];
        // Real pictures instead of noise on a side: whether a step's cost depends on its data.
        foreach (var side in new[] { "a", "b" })
        {
            if (Arg($"--{side}-cifar", "") is not { Length: > 0 } cifar) continue;
            var (xs, ys) = side == "a" ? (xA, yA) : (xB, yB);
            var train = Cifar10.Load(cifar, trainLimit: ys.Length).Train;
            for (int i = 0; i < xs.Length; i++) xs[i] = train.Images.Pixels[i] / 255f;
            train.Labels.AsSpan(0, ys.Length).CopyTo(ys);
        }

        var process = Process.GetCurrentProcess();
        (double Wall, double Cpu) Round(bool sideA)
        {
            Engine.Winograd = sideA ? a : b;
            Engine.KernelOptions = sideA ? runningA : runningB;
            var (model, xs, ys) = sideA ? (modelA, xA, yA) : (modelB, xB, yB);
            model.TrainOnBatch(xs, ys); // the first step after a switch derives what the other arithmetic kept
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < steps; s++) model.TrainOnBatch(xs, ys);
            // Per image, so that sides of different batch sizes compare.
            double wall = clock.Elapsed.TotalMilliseconds / steps / ys.Length;
            process.Refresh();
            return (wall, (process.TotalProcessorTime - cpu0).TotalMilliseconds / steps / ys.Length);
        }

        for (int w = 0; w < 3; w++) { Round(true); Round(false); } // tiered JIT
        var ra = new List<(double Wall, double Cpu)>();
        var rb = new List<(double Wall, double Cpu)>();
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0) { ra.Add(Round(true)); rb.Add(Round(false)); }
            else { rb.Add(Round(false)); ra.Add(Round(true)); }
        }
        static double Median(IEnumerable<double> v) { var s = v.Order().ToArray(); return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2; }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"model={name} batch={batch} threads={Engine.Threads} rounds={rounds} steps={steps}"));
        foreach (var (label, use, size, r) in new[] { ("a", a, batchA, ra), ("b", b, batchB, rb) })
            Console.WriteLine(string.Create(inv, $"{label}={use.ToString().ToLowerInvariant()} batch {size} ms_per_image median {Median(r.Select(t => t.Wall)):F4} min {r.Min(t => t.Wall):F4} | cpu_ms_per_image median {Median(r.Select(t => t.Cpu)):F4} | images_per_s {1000 / Median(r.Select(t => t.Wall)):F0}"));
        Console.WriteLine(string.Create(inv, $"ratio_a_over_b wall {Median(ra.Zip(rb, (p, q) => p.Wall / q.Wall)):F3} cpu {Median(ra.Zip(rb, (p, q) => p.Cpu / q.Cpu)):F3}"));
    }
}
