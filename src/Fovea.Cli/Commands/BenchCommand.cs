using Fovea.Zoo;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fovea.Kernels;
using Fovea.Losses;
using Fovea.Distributed;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea bench</c>: training and inference throughput on random input, printed as <c>key=value</c> lines with
/// the same meaning as the libtorch peer's (<c>/work/shared/peers/libtorch</c>): training steps on one fixed
/// random batch, inference at batch 256 (5 warm-ups, then 40 timed passes).
/// </summary>
internal static class BenchCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Model to build: " + string.Join(", ", ModelZoo.Names), DefaultValueFactory = _ => "tutorial" };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Samples per training step", DefaultValueFactory = _ => 64 };
    private static readonly Option<double> Seconds = new("--seconds") { Description = "Timed training, after the warm-up", DefaultValueFactory = _ => 10 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of the weights and the random batch", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> Layers = new("--layers") { Description = "Then time each layer's forward and backward pass for as long again" };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Cut the timed training into this many rounds, each between two measurements of the peak, and print the median of the rounds' shares of the peak (on a shared machine, the figure its other work moves least)", DefaultValueFactory = _ => 1 };
    private static readonly Option<bool> Distributed = new("--distributed") { Description = "Share each step with the other processes of an MPI job (mpirun -np P fovea bench --distributed): images/s per process and the share of a step spent communicating" };

    // Tiered JIT promotes hot methods after 30 calls and a 100 ms quiet period; 20 steps and 2 s are well past both.
    private const int WarmupSteps = 20;
    // A distributed step runs each kernel dozens of times (every layer of every shard): three are past the JIT's
    // thresholds too, and the recipe's batch of 1024 takes seconds a step on a few cores.
    private const int DistributedWarmupSteps = 3;
    private const double WarmupSeconds = 2;
    private const int InferBatch = 256, InferWarmups = 5, InferReps = 40;
    // A round's probe: three trials of 0.1 s, the best kept (as the main probe keeps the best of five of 0.2 s).
    private const double RoundProbeSeconds = 0.1;
    private const int RoundProbeTrials = 3;

    public static Command Create()
    {
        var command = new Command("bench", "Measure training and inference throughput on random input")
        {
            Model, BatchSize, Seconds, Threads, Seed, Layers, Rounds, Distributed,
        };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        int batch = parse.GetValue(BatchSize);
        double seconds = parse.GetValue(Seconds);
        long seed = parse.GetValue(Seed);
        if (batch < 1) throw new FoveaUsageException($"--batch-size must be at least 1; got {batch}");
        if (!(seconds > 0) || !double.IsFinite(seconds)) throw new FoveaUsageException($"--seconds must be positive; got {seconds.ToString(CultureInfo.InvariantCulture)}");
        int rounds = parse.GetValue(Rounds);
        if (rounds < 1) throw new FoveaUsageException($"--rounds must be at least 1; got {rounds}");
        if (parse.GetValue(Distributed) && parse.GetValue(Layers)) throw new FoveaUsageException("--layers profiles one process's steps; drop --distributed");
        if (parse.GetValue(Distributed) && rounds > 1) throw new FoveaUsageException("--rounds measures one process's peak between its rounds; drop --distributed");
        using var group = parse.GetValue(Distributed) ? ProcessGroup.Join() : null;
        if (group is { IsLeader: false }) Console.SetOut(TextWriter.Null);
        CommonOptions.ApplyThreads(parse.GetValue(Threads) ?? (group is null ? null : Math.Max(1, Environment.ProcessorCount / group.Size)));
        // The model's own recipe (optimiser, loss), as a training run would use it, sized for 10 epochs of CIFAR-10.
        var zoo = FoveaCli.FromUserInput(() => ModelZoo.Get(parse.GetValue(Model)!));
        var model = zoo.Create(new Shape(32, 32, 3), 10, seed);
        var recipe = zoo.Recipe;
        recipe.ApplyArithmetic();
        model.Compile(recipe.Optimizer(new RecipePlan(50_000 / batch, recipe.Epochs, batch, recipe.LearningRate)), recipe.Loss());
        group?.Share(model);

        var rng = Rng.For(seed, "bench");
        var (x, y) = RandomBatch(model, batch, rng);
        var (infer, _) = RandomBatch(model, InferBatch, rng);
        var output = new float[InferBatch * model.OutputShape.Size];

        var w = Console.Out;
        w.WriteLine($"model={parse.GetValue(Model)}");
        w.WriteLine($"threads={Engine.Threads}");
        w.WriteLine($"simd={Sgemm.ActivePath}");
        w.WriteLine($"winograd={Engine.Winograd.ToString().ToLowerInvariant()}");
        w.WriteLine($"cpu={CpuDescription.Name}");
        w.WriteLine($"kernel_options=mc {Engine.KernelOptions.Mc}, kc {Engine.KernelOptions.KcMax}/{Engine.KernelOptions.KcTarget}");
        w.WriteLine($"tuning={FoveaCli.Tuning["tuning: ".Length..]}");
        w.WriteLine($"batch_size={batch}");

        // Warm-up, then whole steps until the time is up (the clock is read between steps only).
        var clock = Stopwatch.StartNew();
        int warmupSteps = group is null ? WarmupSteps : DistributedWarmupSteps;
        for (int step = 0; Together(group, step < warmupSteps || clock.Elapsed.TotalSeconds < Math.Min(WarmupSeconds, seconds)); step++)
        {
            ct.ThrowIfCancellationRequested();
            model.TrainOnBatch(x, y);
        }
        double loss = 0;
        var exchangedBefore = group is null ? default : (group.CommunicationTime, group.WaitTime, group.BytesSent);
        // With rounds, the peak is measured before the first and after every round, outside the timed training: each
        // round's share is against the mean of the two probes beside it, which saw the same neighbours on the machine.
        var roundSteps = new int[rounds];
        var roundSeconds = new double[rounds];
        var probes = new double[rounds > 1 ? rounds + 1 : 0];
        if (rounds > 1) probes[0] = FmaPeak.Measure(Engine.Threads, RoundProbeSeconds, RoundProbeTrials);
        TimeSpan cpuSpent = TimeSpan.Zero;
        for (int round = 0; round < rounds; round++)
        {
            var cpuBefore = ProcessorTime();
            clock.Restart();
            do
            {
                ct.ThrowIfCancellationRequested();
                loss = model.TrainOnBatch(x, y);
                roundSteps[round]++;
            } while (Together(group, clock.Elapsed.TotalSeconds < seconds / rounds));
            roundSeconds[round] = clock.Elapsed.TotalSeconds;
            cpuSpent += ProcessorTime() - cpuBefore;
            if (rounds > 1) probes[round + 1] = FmaPeak.Measure(Engine.Threads, RoundProbeSeconds, RoundProbeTrials);
        }
        int steps = roundSteps.Sum();
        double trainSeconds = roundSeconds.Sum();
        if (group is not null) PrintDistributed(w, group, steps, trainSeconds, batch, exchangedBefore);
        double cpuSeconds = cpuSpent.TotalSeconds;
        double trainRate = (double)steps * batch / trainSeconds;

        for (int i = 0; i < InferWarmups; i++) model.PredictBatch(output, infer, InferBatch);
        clock.Restart();
        for (int i = 0; i < InferReps; i++)
        {
            ct.ThrowIfCancellationRequested();
            model.PredictBatch(output, infer, InferBatch);
        }
        double inferRate = (double)InferReps * InferBatch / clock.Elapsed.TotalSeconds;

        long trainFlops = FlopCounter.TrainingPerImage(model), inferFlops = FlopCounter.InferencePerImage(model);
        w.WriteLine($"train_steps={steps}");
        w.WriteLine($"train_seconds={F(trainSeconds, 2)}");
        // Cores' worth of CPU time the process got while training: well under the thread count means a busy machine.
        w.WriteLine($"train_cpu_cores={F(cpuSeconds / trainSeconds, 2)}");
        w.WriteLine($"final_loss={F(loss, 4)}");
        w.WriteLine($"train_images_per_s={F(trainRate, 0)}");
        w.WriteLine($"infer_images_per_s={F(inferRate, 0)}");
        w.WriteLine($"train_mflop_per_image={F(trainFlops / 1e6, 2)}");
        w.WriteLine($"gflops_train={F(trainFlops * trainRate / 1e9, 1)}");
        w.WriteLine($"gflops_infer={F(inferFlops * inferRate / 1e9, 1)}");
        // The FMA ceiling of these threads at the kernels' width, measured now: the share reads the same on machines
        // whose peers differ. FLOPs are the direct method's, so a faster algorithm can pass 1.
        double peak = FmaPeak.Measure(Engine.Threads);
        w.WriteLine($"peak_gflops={F(peak, 1)}");
        // Distributed, the training rate is the whole job's: its ceiling is every process's threads, each measured
        // alike; inference runs in each process alone, so its share stays against this process's peak.
        double trainPeak = peak * (group?.Size ?? 1);
        if (group is not null) w.WriteLine($"job_peak_gflops={F(trainPeak, 1)}");
        w.WriteLine($"share_of_peak_train={F(trainFlops * trainRate / 1e9 / trainPeak, 3)}");
        w.WriteLine($"share_of_peak_infer={F(inferFlops * inferRate / 1e9 / peak, 3)}");
        if (rounds > 1)
        {
            var shares = Enumerable.Range(0, rounds)
                .Select(r => trainFlops * (roundSteps[r] * (double)batch / roundSeconds[r]) / 1e9 / ((probes[r] + probes[r + 1]) / 2)).ToArray();
            w.WriteLine($"rounds={rounds}");
            w.WriteLine($"peak_gflops_rounds={Spread(probes, 1)}");
            w.WriteLine($"share_of_peak_train_rounds={Spread(shares, 3)}");
        }
        w.WriteLine($"peak_working_set_mb={F(PeakWorkingSetMegabytes(), 0)}");
        // What the plans ask for, beside what the process held: the rest is the runtime, the pool and the batches here.
        var trainPlan = model.PlanMemory(batch, training: true);
        w.WriteLine($"plan_train_mb={F(trainPlan.TotalBytes / Megabyte, 0)}");
        w.WriteLine($"plan_train_activations_mb={F(trainPlan.ActivationBytes / Megabyte, 0)}");
        w.WriteLine($"plan_infer_mb={F(model.PlanMemory(InferBatch, training: false).TotalBytes / Megabyte, 0)}");
        if (parse.GetValue(Layers)) PrintProfile(w, model, x, y, seconds, ct);
        return ExitCodes.Success;
    }

    /// <summary>Process 0's view of the timed steps: its time moving data once every process was ready, apart from
    /// its time waiting for the slower ones (on a busy machine, for the processes the scheduler ran less).</summary>
    private static void PrintDistributed(TextWriter w, ProcessGroup group, int steps, double seconds, int batch, (TimeSpan Communication, TimeSpan Wait, long Bytes) before)
    {
        w.WriteLine($"distributed_processes={group.Size}");
        w.WriteLine($"train_images_per_s_per_process={F((double)steps * batch / seconds / group.Size, 0)}");
        w.WriteLine($"seconds_per_step={F(seconds / steps, 3)}");
        w.WriteLine($"bytes_sent_per_step_per_process={(group.BytesSent - before.Bytes) / steps}");
        w.WriteLine($"communication_share={F((group.CommunicationTime - before.Communication).TotalSeconds / seconds, 4)}");
        w.WriteLine($"waiting_share={F((group.WaitTime - before.Wait).TotalSeconds / seconds, 4)}");
    }

    /// <summary>Process 0's decision to go on, taken by every process of <paramref name="group"/>, so that they make the
    /// same number of steps.</summary>
    private static bool Together(ProcessGroup? group, bool goOn)
    {
        if (group is null) return goOn;
        double[] flag = [group.IsLeader && goOn ? 1 : 0];
        group.Share(flag);
        return flag[0] > 0;
    }

    /// <summary>Uniform [0, 1) pixels, like the peer's <c>torch.rand</c>, and uniform labels.</summary>
    private static (float[] X, int[] Y) RandomBatch(Model model, int batch, Rng rng)
    {
        var x = new float[batch * model.InputShape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        int classes = model.OutputShape[^1];
        var y = new int[batch];
        for (int i = 0; i < y.Length; i++) y[i] = rng.NextInt(classes);
        return (x, y);
    }

    /// <summary>
    /// Each part of a step: its mean time and share of the mean step, then its fastest time (the better estimate
    /// on a busy machine), that time's share of the sum of the fastest times and, for GEMM layers, the GFLOPS at
    /// that time (<see cref="FlopCounter"/>'s count, so im2col, folds and epilogues count against the layer).
    /// </summary>
    private static void PrintProfile(TextWriter w, Model model, float[] x, int[] y, double seconds, CancellationToken ct)
    {
        var profile = new StepProfile(model.Layers.Select(l => l.Name!).ToList());
        var clock = Stopwatch.StartNew();
        do
        {
            ct.ThrowIfCancellationRequested();
            model.TrainOnBatch(x, y, profile);
        } while (clock.Elapsed.TotalSeconds < seconds);

        var flops = FlopCounter.PerLayer(model).SelectMany(l => new[] { ($"{l.Layer}.forward", l.Forward), ($"{l.Layer}.backward", l.Backward) })
            .ToDictionary(p => p.Item1, p => p.Item2);
        double imagesPerStep = (double)profile.LayerImages / profile.Steps;
        double meanStep = profile.MeanStepMilliseconds;
        double minSum = Enumerable.Range(0, profile.Parts.Count).Sum(profile.MinMilliseconds);
        w.WriteLine($"profile_steps={profile.Steps}");
        // A step in slices: the layers' parts are the first slice's, on one thread while the other threads ran theirs.
        w.WriteLine($"profile_slices={profile.Slices} (layer parts over {F(imagesPerStep, 0)} images{(profile.Slices > 1 ? ", one thread" : "")})");
        w.WriteLine($"profile.step=mean {F(meanStep, 3)} ms | min {F(profile.MinStepMilliseconds, 3)} ms (parts' minima add up to {F(minSum, 3)} ms)");
        for (int part = 0; part < profile.Parts.Count; part++)
        {
            if (!profile.Observed(part)) continue;
            double mean = profile.MeanMilliseconds(part), min = profile.MinMilliseconds(part);
            string rate = flops.GetValueOrDefault(profile.Parts[part]) is > 0 and var f ? $" {F(f * imagesPerStep / (min * 1e6), 1)} GFLOPS" : "";
            w.WriteLine($"profile.{profile.Parts[part]}=mean {F(mean, 3)} ms {F(100 * mean / meanStep, 1)}% | min {F(min, 3)} ms {F(100 * min / minSum, 1)}%{rate}");
        }
    }

    private static TimeSpan ProcessorTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>The process's peak resident set (VmHWM on Linux), in MiB.</summary>
    private static double PeakWorkingSetMegabytes() => ProcessMemory.PeakResidentBytes() / Megabyte;

    private const double Megabyte = 1024 * 1024;

    /// <summary>"median (min..max)" of <paramref name="values"/>.</summary>
    private static string Spread(double[] values, int decimals)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return $"{F(median, decimals)} ({F(sorted[0], decimals)}..{F(sorted[^1], decimals)})";
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
