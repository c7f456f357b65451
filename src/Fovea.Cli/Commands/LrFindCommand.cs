using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fovea.Training;
using Fovea.Visualization;
using Fovea.Zoo;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea lr-find</c>: the learning-rate range test for a zoo model and its recipe's optimiser on a dataset
/// (<see cref="LearningRateFinder"/>): prints the suggested rate (fast.ai's "valley") and the steepest descent for
/// comparison, and writes <c>lr_find.png</c>. Nothing is trained for keeps: the sweep's model is discarded.
/// </summary>
internal static class LrFindCommand
{
    private static readonly DataOptions DataOptions = new(validationSplitHelp: null);
    private static readonly Option<string> ModelName = new("--model") { Description = "Model whose recipe's optimiser is swept: " + string.Join(", ", ModelZoo.Names), DefaultValueFactory = _ => "tutorial" };
    private static readonly Option<int?> BatchSize = new("--batch-size") { Description = "Samples per step (default: the recipe's)" };
    private static readonly Option<int> Steps = new("--steps") { Description = "Steps of the sweep from 1e-7 to 10, unless the loss diverges first", DefaultValueFactory = _ => 100 };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of the initial weights and the shuffles", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Use only N training images (the first N; for a folder, N chosen by --seed)" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<string> Out = new("--out") { Description = "Folder for lr_find.png", DefaultValueFactory = _ => "." };

    public static Command Create()
    {
        var command = new Command("lr-find", "Sweep the learning rate exponentially over a few batches and suggest one (fast.ai's lr_find)") { ModelName };
        foreach (var option in DataOptions.All) command.Options.Add(option);
        foreach (var option in new Option[] { BatchSize, Steps, Seed, Limit, Threads, Out }) command.Options.Add(option);
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        var zoo = FoveaCli.FromUserInput(() => ModelZoo.Get(parse.GetValue(ModelName)!));
        var recipe = zoo.Recipe;
        int batchSize = parse.GetValue(BatchSize) ?? recipe.BatchSize, steps = parse.GetValue(Steps);
        int? limit = parse.GetValue(Limit);
        long seed = parse.GetValue(Seed);
        if (batchSize < 1) throw new FoveaUsageException($"--batch-size must be at least 1; got {batchSize}");
        if (steps < 2) throw new FoveaUsageException($"--steps must be at least 2; got {steps}");
        if (limit is < 1) throw new FoveaUsageException($"--limit must be at least 1; got {limit}");
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        string outDir = parse.GetValue(Out)!;
        if (File.Exists(outDir)) throw new FoveaUsageException($"--out {outDir} is a file; it takes a folder");
        var request = DataOptions.Read(parse);

        var clock = Stopwatch.StartNew();
        var data = DataResolver.Load(request, limit, seed, ct, DataResolver.DefaultValidationSplit);
        var train = data.Train;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{data.Title}: {train.Count:N0} training images in {data.ClassNames.Count} classes, from {data.Source}."));
        var model = FoveaCli.FromUserInput(() => zoo.Create(train.Images.ImageShape, data.ClassNames.Count, seed));
        zoo.Prepare(model, train.Images);
        int stepsPerEpoch = Math.Max(train.Count / batchSize, 1);
        model.Compile(recipe.Optimizer(new RecipePlan(stepsPerEpoch, recipe.Epochs, batchSize, recipe.LearningRate)), recipe.Loss(), ["accuracy"]);
        model.Augmentation = recipe.Augmentation();
        model.MixUp = recipe.MixUp();

        var finder = new LearningRateFinder { BatchSize = batchSize, Steps = steps };
        var sweep = finder.Run(model, train.Images, train.Labels);
        Directory.CreateDirectory(outDir);
        string png = Path.Combine(outDir, "lr_find.png");
        LearningRateChart.Save(png, sweep);
        string ended = sweep.Diverged ? $"stopped at step {sweep.Losses.Count}: the loss passed {finder.DivergenceFactor:0}x its best" : $"all {sweep.Losses.Count} steps";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"swept {model.Optimizer!.Name} from {LearningRateChart.Rate(finder.StartLearningRate)} to {LearningRateChart.Rate(sweep.LearningRates[^1])} in batches of {batchSize} ({ended}); best smoothed loss {sweep.BestLoss:F4}"));
        Console.WriteLine($"steepest descent: {LearningRateChart.Rate(sweep.Steepest)}");
        Console.WriteLine($"suggested learning rate (valley): {LearningRateChart.Rate(sweep.Suggestion)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {png} in {clock.Elapsed.TotalSeconds:F1} s"));
        return ExitCodes.Success;
    }
}
