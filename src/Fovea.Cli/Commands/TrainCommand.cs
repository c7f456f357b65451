using System.CommandLine;
using System.Diagnostics;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Cli.Commands;

/// <summary><c>fovea train</c>: the tutorial's workflow end to end, writing the model, history and metrics into a run folder.</summary>
internal static class TrainCommand
{
    private static readonly Option<string?> Data = new("--data") { Description = "CIFAR-10 binary: a .tar.gz, a cifar-10-batches-bin folder or its parent (default: download into ~/.fovea/datasets)" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs to train", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Samples per step", DefaultValueFactory = _ => 64 };
    private static readonly Option<float> LearningRate = new("--learning-rate") { Description = "Adam's learning rate", DefaultValueFactory = _ => 1e-3f };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of the initial weights and the shuffles", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Use only the first N training images" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<string?> Out = new("--out") { Description = "Run folder (default: runs/<timestamp>)" };

    public static Command Create()
    {
        var command = new Command("train", "Train the tutorial CNN on CIFAR-10, evaluate it, and save the run")
        {
            Data, Epochs, BatchSize, LearningRate, Seed, Limit, Threads, Out,
        };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        int epochs = parse.GetValue(Epochs), batchSize = parse.GetValue(BatchSize);
        float learningRate = parse.GetValue(LearningRate);
        long seed = parse.GetValue(Seed);
        int? limit = parse.GetValue(Limit);
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1; got {epochs}");
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1; got {batchSize}");
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new ArgumentException($"--learning-rate must be positive; got {learningRate}");
        if (limit is < 1) throw new ArgumentException($"--limit must be at least 1; got {limit}");
        CommonOptions.ApplyThreads(parse.GetValue(Threads));

        var run = RunFolder.Create(parse.GetValue(Out));
        var data = DataResolver.Load(parse.GetValue(Data), limit, ct);
        var (train, test) = (data.Train, data.Test);
        Console.WriteLine($"x_train shape: {train.Images.Shape}  y_train shape: ({train.Count},)");
        Console.WriteLine($"x_test shape: {test.Images.Shape}  y_test shape: ({test.Count},)");
        Console.WriteLine();

        var model = ModelZoo.SeedCnn(seed);
        model.Summary();
        model.Compile(optimizer: new Adam(learningRate), loss: new SparseCategoricalCrossentropy(), metrics: ["accuracy"]);

        var clock = Stopwatch.StartNew();
        var history = model.Fit(train.Images, train.Labels, batchSize: batchSize, epochs: epochs,
            validationData: (test.Images, test.Labels), callbacks: [new CancellationCallback(ct), new HistoryCsvWriter(run.HistoryPath)]);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        ct.ThrowIfCancellationRequested();

        var result = model.Evaluate(test.Images, test.Labels, batchSize);
        Console.WriteLine($"test_loss: {result.Loss:F4} - test_accuracy: {result.Accuracy:F4}");

        model.Save(run.ModelPath, data.ClassNames);
        RunMetrics.Write(run.MetricsPath, new RunMetrics
        {
            TestLoss = result.Loss,
            TestAccuracy = result.Accuracy,
            Params = model.ParameterCount,
            TrainSeconds = trainSeconds,
            Epochs = history.Epochs.Count,
            BatchSize = batchSize,
            LearningRate = learningRate,
            Seed = seed,
            Threads = Engine.Threads,
            TrainImages = train.Count,
        });
        Console.WriteLine($"saved {run.ModelPath}, {Path.GetFileName(run.HistoryPath)} and {Path.GetFileName(run.MetricsPath)}");
        return ExitCodes.Success;
    }
}
