using Fovea.Zoo;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fovea.Data;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Serialization;
using Fovea.Training;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea train</c>: the tutorial's workflow end to end, on CIFAR-10, Fashion-MNIST, MNIST or a folder of the user's
/// pictures (<see cref="DataResolver"/>), with a zoo model built for the data's image shape and classes. Checkpoints
/// after every epoch; Ctrl+C or SIGTERM ends the current step, checkpoints and exits 130; <c>--resume DIR</c>
/// continues with the run's own settings (a folder's size, colour and validation split included), bit for bit.
/// </summary>
internal static class TrainCommand
{
    private static readonly DataOptions DataOptions = new(validationSplitHelp: DataOptions.TrainSplitHelp);
    private static readonly Option<string> ModelName = new("--model") { Description = "Model to train, with its recipe as the defaults: " + string.Join(", ", ModelZoo.Names) + " (see fovea models)", DefaultValueFactory = _ => "tutorial" };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs to train (default: the model's recipe; 10 for the tutorial CNN)" };
    private static readonly Option<int?> BatchSize = new("--batch-size") { Description = "Samples per step (default: the recipe's; 64 for the tutorial CNN)" };
    private static readonly Option<float?> LearningRate = new("--learning-rate") { Description = "Base learning rate (default: the recipe's; Adam 0.001 for the tutorial CNN)" };
    private static readonly Option<TestTimeAugmentation?> Tta = new("--tta") { Description = "Test-time augmentation for the final evaluation: None, Mirror or MirrorTranslate (default: the recipe's)" };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of the initial weights and the shuffles", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Use only N training images (the first N; for a folder, N chosen by --seed)" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<string?> Out = new("--out") { Description = "Run folder (default: runs/<timestamp>)" };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue the run in this folder from its checkpoint, with its original settings" };
    private static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace a run already in the --out folder" };
    private static readonly Option<int?> EarlyStop = new("--early-stopping") { Description = "Stop when val_loss has not improved for this many epochs and restore the best weights (also kept as best.safetensors)" };

    public static Command Create()
    {
        var command = new Command("train", "Train a model on a folder of your pictures, CIFAR-10, Fashion-MNIST or MNIST, evaluate it, and save the run")
        {
            ModelName,
        };
        // The data first after the model: they are what a user sets most.
        foreach (var option in DataOptions.All) command.Options.Add(option);
        foreach (var option in new Option[] { Epochs, BatchSize, LearningRate, Tta, Seed, Limit, Threads, Out, Resume, Overwrite, EarlyStop }) command.Options.Add(option);
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        string? resume = parse.GetValue(Resume);
        RunFolder run;
        TrainSettings settings;
        if (resume is not null)
        {
            if (parse.GetValue(Out) is not null) throw new ArgumentException("--resume continues the run in its own folder; drop --out");
            // The run continues exactly as it began; an option that would change it is refused, not silently dropped.
            Option[] fixedOptions = [ModelName, Epochs, BatchSize, LearningRate, Tta, Seed, Limit, Threads, Overwrite, EarlyStop, .. DataOptions.All.Where(o => o != DataOptions.Data)];
            foreach (var option in fixedOptions)
                if (parse.GetResult(option) is { Implicit: false })
                    throw new ArgumentException($"--resume continues with the run's saved settings; drop {option.Name}");
            run = RunFolder.Existing(resume);
            var saved = TrainSettings.FromJson(SafeTensors.Read(run.CheckpointPath).Metadata.GetValueOrDefault("settings"), run.CheckpointPath);
            if (saved.Finished)
                throw new FoveaException($"{run.Path} holds a finished run; there is nothing to resume (its model is {run.ModelPath})");
            // The data may have moved since; everything else stays as the run began.
            settings = parse.GetValue(DataOptions.Data) is { } movedData ? saved with { Data = Path.GetFullPath(movedData) } : saved;
        }
        else
        {
            settings = ReadSettings(parse);
            run = RunFolder.Create(parse.GetValue(Out), parse.GetValue(Overwrite));
        }
        using var folderLock = run;
        Engine.Threads = settings.Threads;

        LoadedData data;
        Model model;
        var zoo = ModelZoo.Get(settings.Model);
        try
        {
            data = DataResolver.Load(settings.DataRequest, settings.Limit, settings.Seed, ct, DataResolver.DefaultValidationSplit);
            Console.WriteLine(data.FolderReport?.ToString() ?? string.Create(CultureInfo.InvariantCulture,
                $"{data.Title}: {data.Train.Count:N0} training and {data.Test!.Count:N0} test images in {data.ClassNames.Count} classes, from {data.Source}."));
            if (data.ValidationOrTest is null)
                throw new InvalidDataFileException($"{settings.Data}: nothing to validate on: no test/ or val/ folder, and no class has the two pictures a validation split needs");
            // A model is built for the data's image shape and classes; one that cannot take them says so by name.
            model = zoo.Create(data.Train.Images.ImageShape, data.ClassNames.Count, settings.Seed);
        }
        catch
        {
            run.RemoveIfUnused();
            throw;
        }
        // What was resolved (a folder's default size and split) is saved, so that --resume loads exactly this.
        if (resume is null) settings = settings.WithData(data.Resolved);
        var (train, validation, test) = (data.Train, data.ValidationOrTest!, data.Evaluation!);
        Console.WriteLine($"x_train shape: {train.Images.Shape}  y_train shape: ({train.Count},)");
        if (data.Validation is not null) Console.WriteLine($"x_val shape: {data.Validation.Images.Shape}  y_val shape: ({data.Validation.Count},)");
        if (data.Test is not null) Console.WriteLine($"x_test shape: {data.Test.Images.Shape}  y_test shape: ({data.Test.Count},)");
        Console.WriteLine();

        var recipe = zoo.Recipe;
        if (resume is null) zoo.Prepare(model, train.Images);
        model.Summary();
        int stepsPerEpoch = recipe.DropRemainder ? Math.Max(train.Count / settings.BatchSize, 1) : (train.Count + settings.BatchSize - 1) / settings.BatchSize;
        var optimizer = recipe.Optimizer(new RecipePlan(stepsPerEpoch, settings.Epochs, settings.BatchSize, settings.LearningRate));
        model.Compile(optimizer: optimizer, loss: recipe.Loss(), metrics: ["accuracy"]);
        model.Augmentation = recipe.Augmentation();
        var tta = settings.Tta ?? recipe.TestTimeAugmentation;
        Console.WriteLine($"recipe: {recipe.Description}");
        if (settings.Epochs != recipe.Epochs || settings.BatchSize != recipe.BatchSize || settings.LearningRate != recipe.LearningRate)
            Console.WriteLine($"overridden: epochs {settings.Epochs}, batch size {settings.BatchSize}, learning rate {settings.LearningRate.ToString("G4", CultureInfo.InvariantCulture)}");

        TrainingState? state = null;
        if (resume is not null)
        {
            state = Checkpoint.Load(run.CheckpointPath, model).State;
            Console.WriteLine($"resuming {run.Path} after epoch {state.CompletedEpochs}" + (state.AtEpochBoundary ? "" : $", step {state.StepsIntoEpoch}"));
        }

        run.ClearReplacedRun();
        var checkpoints = new CheckpointWriter(run.CheckpointPath, data.ClassNames, settings);
        var cancel = new CancellationCallback(ct);
        List<Callback> callbacks = [cancel, new HistoryCsvWriter(run.HistoryPath, state?.History.Epochs ?? [])];
        int epochs = settings.Epochs;
        if (settings.EarlyStopping is { } patience)
        {
            var early = new EarlyStopping(patience);
            if (state is not null)
            {
                early.Resume(state.History, File.Exists(run.BestModelPath) ? Model.Load(run.BestModelPath).Model.Weights.ToArray() : null);
                // Stopped early, then killed before finishing up: no more epochs, just the final steps.
                if (early.PatienceExhausted) epochs = state.CompletedEpochs;
            }
            early.Improved += _ => model.Save(run.BestModelPath, data.ClassNames);
            // Before the checkpoint, so that best.safetensors is on disk before a checkpoint that counts on it.
            callbacks.Add(early);
        }
        callbacks.Add(checkpoints);

        var clock = Stopwatch.StartNew();
        try
        {
            model.Fit(train.Images, train.Labels, batchSize: settings.BatchSize, epochs: epochs,
                validationData: (validation.Images, validation.Labels), callbacks: callbacks, resumeFrom: state, dropRemainder: recipe.DropRemainder);
        }
        catch (NonFiniteLossException e)
        {
            throw new FoveaException($"{e.Message}; the last good checkpoint is kept in {run.CheckpointPath}");
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;

        if (ct.IsCancellationRequested || cancel.Interrupted)
        {
            checkpoints.Save();
            var s = model.State;
            Console.Error.WriteLine($"interrupted after epoch {s.CompletedEpochs}, step {s.StepsIntoEpoch}: checkpoint saved in {run.CheckpointPath}");
            Console.Error.WriteLine($"resume with: fovea train --resume {run.Path}");
            return ExitCodes.Interrupted;
        }

        var result = model.Evaluate(test.Images, test.Labels, settings.BatchSize, tta);
        string on = data.Test is null ? " (on the validation split: there is no test set)" : "";
        Console.WriteLine($"test_loss: {result.Loss:F4} - test_accuracy: {result.Accuracy:F4}" + (tta == TestTimeAugmentation.None ? "" : $" (test-time augmentation: {tta})") + on);
        model.Save(run.ModelPath, data.ClassNames);
        var perClassAccuracy = RunReport.Write(run, model, data, result, settings, recipe);
        RunMetrics.Write(run.MetricsPath, new RunMetrics
        {
            TestLoss = result.Loss,
            TestAccuracy = result.Accuracy,
            Params = model.ParameterCount,
            TrainSeconds = trainSeconds,
            Epochs = model.State.History.Epochs.Count,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
            Threads = settings.Threads,
            TrainImages = train.Count,
            Dataset = data.Title,
            TestImages = test.Count,
            TestSet = data.EvaluationName,
            PerClassAccuracy = perClassAccuracy,
        });
        Console.WriteLine($"saved {run.ModelPath}, {Path.GetFileName(run.HistoryPath)} and {Path.GetFileName(run.MetricsPath)}");
        Console.WriteLine($"report: {run.ReportPath}");
        // Last: a crash before this point can still be resumed to finish the run's files; after it there is nothing to resume.
        checkpoints.MarkFinished();
        return ExitCodes.Success;
    }

    private static TrainSettings ReadSettings(ParseResult parse)
    {
        var recipe = ModelZoo.Get(parse.GetValue(ModelName)!).Recipe;
        int epochs = parse.GetValue(Epochs) ?? recipe.Epochs, batchSize = parse.GetValue(BatchSize) ?? recipe.BatchSize;
        float learningRate = parse.GetValue(LearningRate) ?? recipe.LearningRate;
        int? limit = parse.GetValue(Limit), threads = parse.GetValue(Threads), patience = parse.GetValue(EarlyStop);
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1; got {epochs}");
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1; got {batchSize}");
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new ArgumentException($"--learning-rate must be positive; got {learningRate}");
        if (limit is < 1) throw new ArgumentException($"--limit must be at least 1; got {limit}");
        if (threads is < 1) throw new ArgumentException($"--threads must be at least 1; got {threads}");
        if (patience is < 1) throw new ArgumentException($"--early-stopping must be at least 1; got {patience}");
        var data = DataOptions.Read(parse);
        return new TrainSettings
        {
            Model = ModelZoo.Get(parse.GetValue(ModelName)!).Name,
            Tta = parse.GetValue(Tta),
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
            Seed = parse.GetValue(Seed),
            Limit = limit,
            Threads = threads ?? Environment.ProcessorCount,
            EarlyStopping = patience,
        }.WithData(data);
    }
}
