using Fovea.Zoo;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Fovea.Data;
using Fovea.Data.Augmentation;
using Fovea.Distributed;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Onnx;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea train</c>: the tutorial's workflow end to end, on CIFAR-10, Fashion-MNIST, MNIST or a folder of the user's
/// pictures (<see cref="DataResolver"/>), with a zoo model built for the data's image shape and classes. Checkpoints
/// after every epoch; Ctrl+C or SIGTERM ends the current step, checkpoints and exits 130; <c>--resume DIR</c>
/// continues with the run's own settings (a folder's size, colour and validation split included), bit for bit.
/// </summary>
internal static partial class TrainCommand
{
    private static readonly DataOptions DataOptions = new(validationSplitHelp: DataOptions.TrainSplitHelp);
    private static readonly Option<string> ModelName = new("--model") { Description = "Model to train, with its recipe as the defaults: " + string.Join(", ", [.. ModelZoo.Names, PretrainedResNet18.Name]) + " (see fovea models)", DefaultValueFactory = _ => "tutorial" };
    private static readonly Option<string?> Pretrained = new("--pretrained") { Description = "Start from pretrained weights: 'imagenet' (resnet18; see fovea pretrained) or an ONNX feature extractor" };
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
    private static readonly Option<float?> MixUpAlpha = new("--mixup") { Description = "MixUp the training batches with this alpha (fast.ai's 0.4 is a good start; 0 turns off a recipe's) (default: the recipe's; none for the zoo's recipes)" };
    private static readonly Option<int?> EarlyStop = new("--early-stopping") { Description = "Stop when val_loss has not improved for this many epochs and restore the best weights (also kept as best.safetensors)" };
    private static readonly Option<int?> ValidationFreq = new("--validation-freq")
    {
        Description = "Validate every N epochs and after the last (default: every epoch; airbench94's recipe validates once, after its last epoch, as its definition does)",
    };
    private static readonly Option<bool> Calibrate = new("--calibrate")
    {
        Description = "After training, fit a temperature on validation images and keep it in the model (predict, serve, evaluate and export use it); "
            + "the default where a validation set other than the test set exists. A run that validates on its test set holds out a tenth of the training images for it",
    };
    private static readonly Option<bool> NoCalibrate = new("--no-calibrate") { Description = "Do not fit a temperature, even where a validation set exists" };
    private static readonly Option<string?> MaxMemory = new("--max-memory") { Description = "Memory budget, e.g. 1.5G or 800M (default: the container's memory limit, if any); a budget too small for one picture is refused before the run starts" };
    private static readonly Option<int?> EnsembleSize = new("--ensemble")
    {
        Description = "Train N networks from seeds SEED, SEED+1, … and average their predictions (a deep ensemble): more accurate and better calibrated than one, at N times the training and prediction time (default: the recipe's: 1, or for resnet18 on few pictures up to 5)",
    };
    private static readonly Option<bool> Distributed = new("--distributed") { Description = "Train data-parallel with the other processes of an MPI job (mpirun -np P fovea train --distributed …); the same weights as one process, bit for bit" };

    public static Command Create()
    {
        var command = new Command("train", "Train a model on a folder of your pictures, CIFAR-10, Fashion-MNIST or MNIST, evaluate it, and save the run")
        {
            ModelName,
            Pretrained,
        };
        // The data first after the model: they are what a user sets most.
        foreach (var option in DataOptions.All) command.Options.Add(option);
        foreach (var option in new Option[] { Epochs, BatchSize, LearningRate, MixUpAlpha, Tta, Seed, EnsembleSize, Limit, Threads, Out, Resume, Overwrite, EarlyStop, ValidationFreq, Calibrate, NoCalibrate, MaxMemory, Distributed }) command.Options.Add(option);
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        if (!parse.GetValue(Distributed)) return Train(parse, ct, group: null);
        using var group = ProcessGroup.Join();
        using var watch = WatchForLostProcesses(parse, group);
        try
        {
            return group.IsLeader ? Train(parse, ct, group) : Follow(parse, group);
        }
        catch (Exception e) when (group.Size > 1 && e is not OperationCanceledException)
        {
            // The other processes wait for this one in the step's exchange: end the whole job now, with its message.
            Console.Error.WriteLine($"error: {FoveaCli.OneLine(e.Message)}" + (group.IsLeader ? "" : $" (process {group.Rank} of {group.Size})"));
            group.Abort(e is FoveaUsageException ? ExitCodes.BadInput : ExitCodes.InternalError);
            throw;
        }
    }

    private static int Train(ParseResult parse, CancellationToken ct, ProcessGroup? group)
    {
        string? resume = parse.GetValue(Resume);
        bool explicitBudget = ReadMemoryBudget(parse);
        var (run, settings) = OpenRun(parse, resume, group);
        using var folderLock = run;
        Engine.Threads = settings.Threads;

        LoadedData data;
        Model model;
        CalibrationSet? calibration = null;
        var zoo = Zoo(settings.Model, settings.Pretrained);
        try
        {
            data = DataResolver.Load(settings.DataRequest, settings.Limit, settings.Seed, ct, DataResolver.DefaultValidationSplit);
            Console.WriteLine(data.FolderReport?.ToString() ?? string.Create(CultureInfo.InvariantCulture,
                $"{data.Title}: {data.Train.Count:N0} training and {data.Test!.Count:N0} test images in {data.ClassNames.Count} classes, from {data.Source}."));
            if (data.ValidationOrTest is null)
                throw new InvalidDataFileException($"{settings.Data}: nothing to validate on: no test/ or val/ folder, and no class has the two pictures a validation split needs");
            if (settings.Calibrate ?? CalibrationSet.ByDefault(data))
            {
                (calibration, data) = CalibrationSet.Choose(data, settings.Seed);
                Console.WriteLine($"calibration: the temperature is fitted on {calibration.Description} after training"
                    + (calibration.HeldOutOfTraining ? string.Create(CultureInfo.InvariantCulture, $"; training on the other {data.Train.Count:N0}") : ""));
            }
            // A model is built for the data's image shape and classes; one that cannot take them says so by name.
            model = FoveaCli.FromUserInput(() => zoo.Create(data.Train.Images.ImageShape, data.ClassNames.Count, settings.Seed + settings.Member));
        }
        catch
        {
            run.RemoveIfUnused();
            throw;
        }
        // What was resolved (a folder's default size and split) is saved, so that --resume loads exactly this.
        if (resume is null) settings = settings.WithData(data.Resolved);
        var (train, validation, test) = (data.Train, data.ValidationOrTest!, data.Evaluation!);
        PrintShapes(data);
        // A new run takes the recipe's ensemble for its data, unless --ensemble chose; a distributed run trains one network.
        bool recipeEnsemble = resume is null && settings.Ensemble is null && group is null;
        settings = settings with { Ensemble = recipeEnsemble ? zoo.Recipe.Ensemble(data.Train.Count, data.Train.Images.ImageShape) : settings.Networks };
        if (settings.Networks > 1)
            return TrainEnsemble(run, settings, data, calibration, zoo, model, resume is not null, explicitBudget, recipeEnsemble, ct);

        var recipe = zoo.Recipe;
        // Refused before the summary: a run that cannot fit says so in one line.
        var split = Prepare(zoo, model, data, settings, resume is null, () => CheckMemoryBudget(run, model, settings.BatchSize, RunMemory.ReservedBytes(data, calibration), explicitBudget));
        if (group is not null)
        {
            group.Share(model);
            s_runFolder = run.Path;
            Console.WriteLine($"distributed: {group.Size} processes, {settings.Threads} threads each; shards per batch of {settings.BatchSize}: {model.TrainingShards(settings.BatchSize)}");
        }
        if (settings.Epochs != recipe.Epochs || settings.BatchSize != recipe.BatchSize || settings.LearningRate != recipe.LearningRate)
            Console.WriteLine($"overridden: epochs {settings.Epochs}, batch size {settings.BatchSize}, learning rate {settings.LearningRate.ToString("G4", CultureInfo.InvariantCulture)}");

        var trainer = new Trainer(model);
        if (resume is not null)
        {
            var state = trainer.Resume(run);
            Console.WriteLine($"resuming {run.Path} after epoch {state.CompletedEpochs}" + (state.AtEpochBoundary ? "" : $", step {state.StepsIntoEpoch}"));
        }
        var plan = new RunPlan
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            DropRemainder = recipe.DropRemainder,
            EarlyStoppingPatience = settings.EarlyStopping,
            ValidationFrequency = settings.ValidationFrequencyFor(recipe),
            ClassNames = data.ClassNames,
            Settings = settings.ToJson(),
        };
        var clock = Stopwatch.StartNew();
        List<Callback> callbacks = [.. zoo.Callbacks(model)];
        if (group is not null) callbacks.Add(new StopTogether(group));
        var outcome = trainer.Run(run, plan, train.Images, train.Labels, (validation.Images, validation.Labels), callbacks, cancel: ct);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        if (outcome.Interrupted)
        {
            var s = trainer.State;
            Console.Error.WriteLine($"interrupted after epoch {s.CompletedEpochs}, step {s.StepsIntoEpoch}: checkpoint saved in {run.CheckpointPath}");
            Console.Error.WriteLine($"resume with: fovea train --resume {run.Path}");
            return ExitCodes.Interrupted;
        }

        Finish(run, trainer, plan, data, calibration, settings, recipe, trainSeconds, split);
        return ExitCodes.Success;
    }

    /// <summary>The data-dependent start of a new run (normalisation, whitening), then the summary, the optimiser and loss
    /// of the recipe and its augmentation; returns what <paramref name="beforeSummary"/> (the memory budget's check) decided.
    /// <paramref name="quiet"/>: an ensemble's later networks, whose summary and recipe the first one printed.</summary>
    private static MemoryBudget? Prepare(ZooModel zoo, Model model, LoadedData data, TrainSettings settings, bool newRun, Func<MemoryBudget?> beforeSummary,
        bool quiet = false)
    {
        var recipe = zoo.Recipe;
        // Every process of a run (a distributed run's followers too) trains with the recipe's arithmetic.
        recipe.ApplyArithmetic();
        ReleaseImportedFile(settings);
        if (newRun) zoo.Prepare(model, data.Train.Images);
        int count = data.Train.Count, stepsPerEpoch = recipe.DropRemainder ? Math.Max(count / settings.BatchSize, 1) : (count + settings.BatchSize - 1) / settings.BatchSize;
        var optimizer = recipe.Optimizer(new RecipePlan(stepsPerEpoch, settings.Epochs, settings.BatchSize, settings.LearningRate));
        model.Compile(optimizer: optimizer, loss: recipe.Loss(), metrics: ["accuracy"]);
        model.Augmentation = recipe.Augmentation();
        model.MixUp = settings.MixUp switch { null => recipe.MixUp(), 0 => null, float alpha => new MixUp(alpha) };
        var split = beforeSummary();
        if (quiet) return split;
        model.Summary();
        Console.WriteLine($"recipe: {recipe.Description}");
        Console.WriteLine(FoveaCli.Tuning);
        if (Engine.Winograd >= WinogradUse.Always)
        {
            string tiles = Engine.Winograd switch
            {
                WinogradUse.AlwaysF4 => "F(4×4, 3×3) where it pays, else F(2×2, 3×3),",
                WinogradUse.AlwaysF4Forward => "F(4×4, 3×3) where it pays (kernel gradients by F(2×2, 3×3)), else F(2×2, 3×3),",
                _ => "F(2×2, 3×3)",
            };
            Console.WriteLine($"training arithmetic: Winograd {tiles} on 3×3 layers of {Layers(Engine.KernelOptions.WinogradTrainingMinChannels)} ({Engine.WinogradVariable}=never: im2col's exact sums)");
            static string Layers(int channels) => channels >= 64 ? "64+ input channels" : $"{channels}+ input channels (kernel gradients from 64)";
        }
        if (settings.ValidationFrequencyFor(recipe) is var every and > 1)
            Console.WriteLine(every >= settings.Epochs ? "validation: after the last epoch only" + (settings.ValidationFrequency is null ? " (the recipe's; --validation-freq 1 validates every epoch)" : "")
                : $"validation: every {every} epochs and after the last");
        if (settings.MixUp is not null) Console.WriteLine(model.MixUp is { } m ? $"mixup: {m.Describe()} (--mixup)" : "mixup: off (--mixup 0)");
        return split;
    }

    /// <summary>The run's folder and settings: a new run's from the options, a resumed run's from its checkpoint.</summary>
    private static (RunFolder Run, TrainSettings Settings) OpenRun(ParseResult parse, string? resume, ProcessGroup? group)
    {
        RunFolder run;
        TrainSettings settings;
        if (resume is not null)
        {
            if (parse.GetValue(Out) is not null) throw new FoveaUsageException("--resume continues the run in its own folder; drop --out");
            // The run continues exactly as it began; an option that would change it is refused, not silently dropped.
            Option[] fixedOptions = [ModelName, Pretrained, Epochs, BatchSize, LearningRate, MixUpAlpha, Tta, Seed, EnsembleSize, Limit, Threads, Overwrite, EarlyStop, ValidationFreq, Calibrate, NoCalibrate, .. DataOptions.All.Where(o => o != DataOptions.Data)];
            foreach (var option in fixedOptions)
                if (parse.GetResult(option) is { Implicit: false })
                    throw new FoveaUsageException($"--resume continues with the run's saved settings; drop {option.Name}");
            run = RunFolder.Existing(resume);
            var saved = TrainSettings.FromJson(run.SavedSettings(), run.CheckpointPath);
            // The data may have moved since; everything else stays as the run began.
            settings = parse.GetValue(DataOptions.Data) is { } movedData ? saved with { Data = Path.GetFullPath(movedData) } : saved;
        }
        else
        {
            settings = ReadSettings(parse, group);
            string? outPath = parse.GetValue(Out);
            if (outPath is not null && !parse.GetValue(Overwrite) && RunFolder.ExistingRunFiles(outPath) is { Count: > 0 } existing)
                throw new FoveaUsageException($"{Path.GetFullPath(outPath)} already holds a run ({string.Join(", ", existing)}); pass --resume {outPath} to continue it or --overwrite to replace it");
            run = RunFolder.Create(outPath, parse.GetValue(Overwrite));
        }
        return (run, settings);
    }

    /// <summary>The temperature, the final evaluation, the model, report and metrics, then the finished marker. An
    /// ensemble's <paramref name="trainer"/> evaluates the combined model; its last member's trainer
    /// (<paramref name="checkpointOwner"/>) wrote the checkpoint and its <paramref name="history"/> is the report's.</summary>
    private static void Finish(RunFolder run, Trainer trainer, RunPlan plan, LoadedData data, CalibrationSet? calibration, TrainSettings settings, Recipe recipe,
        double trainSeconds, MemoryBudget? split, IReadOnlyList<KeyValuePair<string, string>>? extraRows = null, Trainer? checkpointOwner = null)
    {
        var history = (checkpointOwner ?? trainer).State.History;
        var (model, train, test) = (trainer.Model, data.Train, data.Evaluation!);
        if (calibration is not null)
        {
            var fit = trainer.Calibrate(calibration.Images.Images, calibration.Images.Labels, settings.BatchSize);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"temperature: {fit.Temperature:0.000} fitted on {calibration.Description} (loss {fit.LossBefore:F4} → {fit.LossAfter:F4}, ece {fit.EceBefore * 100:0.00}% → {fit.EceAfter * 100:0.00}%)"));
        }
        var tta = settings.Tta ?? recipe.TestTimeAugmentation;
        var testClock = Stopwatch.StartNew();
        var (result, plainLogits, _) = trainer.EvaluateKeepingLogits(test.Images, test.Labels, settings.BatchSize, tta);
        double testSeconds = testClock.Elapsed.TotalSeconds, validationSeconds = history.Epochs.Sum(e => e.ValidationSeconds);
        string on = data.Test is null ? " (on the validation split: there is no test set)" : "";
        Console.WriteLine($"test_loss: {result.Loss:F4} - test_accuracy: {result.Accuracy:F4}" + (tta == TestTimeAugmentation.None ? "" : $" (test-time augmentation: {tta})") + on);
        Console.WriteLine(TimeLine(history.Epochs.Sum(e => e.Seconds), validationSeconds, testSeconds));
        model.Save(run.ModelPath, data.ClassNames);
        IReadOnlyList<KeyValuePair<string, string>> calibrationRows = calibration is null ? [new("Temperature", "none")] :
        [
            new("Temperature", string.Create(CultureInfo.InvariantCulture, $"{model.Temperature:0.000}, fitted on {calibration.Description}")),
        ];
        var memory = RunMemory.Measure(model, settings.BatchSize, Engine.MaxMemory, split);
        var (perClassAccuracy, analysis) = RunReport.Write(run, model, data, result, settings, recipe, errorAnalysis: true,
            extraSettings: [.. calibrationRows, .. extraRows ?? []], memory: memory, history: history, plainLogits: plainLogits);
        Console.WriteLine(RunErrorMetrics.EceLine(analysis!, model.Temperature));
        RunMetrics.Write(run.MetricsPath, RunErrorMetrics.AddTo(new RunMetrics
        {
            TestLoss = result.Loss,
            TestAccuracy = result.Accuracy,
            Params = model.ParameterCount,
            TrainSeconds = trainSeconds,
            ValidationSeconds = validationSeconds,
            TestSeconds = testSeconds,
            Epochs = history.Epochs.Count,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
            Threads = settings.Threads,
            TrainImages = train.Count,
            Dataset = data.Title,
            TestImages = test.Count,
            TestSet = data.EvaluationName,
            PerClassAccuracy = perClassAccuracy,
            Memory = memory,
        }, analysis!, model.Temperature, calibration, data.ClassNames));
        Console.WriteLine($"saved {run.ModelPath}, {Path.GetFileName(run.HistoryPath)} and {Path.GetFileName(run.MetricsPath)}");
        Console.WriteLine($"report: {run.ReportPath}");
        (checkpointOwner ?? trainer).MarkFinished(run, plan);
        Console.WriteLine(memory.Line());
    }

    /// <summary>Where a run's time went, from its history (epochs of a resumed run's earlier processes too): the steps
    /// (the epochs less their validation passes), the validation passes, the final evaluation.</summary>
    internal static string TimeLine(double fitSeconds, double validationSeconds, double testSeconds)
    {
        static string Clock(double seconds) => seconds >= 60
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)} min {seconds % 60:00} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");
        return $"time: training {Clock(fitSeconds - validationSeconds)}, validation {Clock(validationSeconds)}, test {Clock(testSeconds)}";
    }

    /// <summary>Sets <see cref="Engine.MaxMemory"/> from --max-memory, if given; returns whether it was.</summary>
    private static bool ReadMemoryBudget(ParseResult parse)
    {
        if (parse.GetValue(MaxMemory) is not { } text) return false;
        if (!ProcessMemory.TryParseSize(text, out long bytes))
            throw new FoveaUsageException($"--max-memory takes a size such as 1.5G, 800M or 2GiB; got '{text}'");
        Engine.MaxMemory = bytes;
        return true;
    }

    /// <summary>
    /// Refuses a run whose training step, with <paramref name="reserved"/> for the runtime and the pictures, does not
    /// fit the memory budget even for one picture (the run folder is removed if it holds nothing); splits a batch
    /// larger than the budget (fewer shards at once, or micro-batches) and says how in one line. Returns the split,
    /// null without a budget.
    /// </summary>
    private static MemoryBudget? CheckMemoryBudget(RunFolder run, Model model, int batchSize, long reserved, bool explicitBudget)
    {
        if (Engine.MaxMemory is not { } budget) return null;
        MemoryBudget fit;
        try
        {
            fit = MemoryBudget.For(model, batchSize, budget, reserved);
        }
        catch (FoveaUsageException)
        {
            run.RemoveIfUnused();
            throw;
        }
        // A batch trained in shards fits by training fewer at once; a batch of one shard, as micro-batches.
        fit.Apply(model);
        if (!fit.FitsWhole || explicitBudget) Console.WriteLine(fit);
        return fit;
    }

    /// <summary>The zoo model named, with pretrained weights when <paramref name="pretrained"/> names them (resnet18 must).</summary>
    private static ZooModel Zoo(string name, string? pretrained)
    {
        if (name == PretrainedResNet18.Name && pretrained is null)
            throw new FoveaUsageException($"{name} is a pretrained network: add --pretrained {PretrainedResNet18.ImageNet} (or an ONNX feature extractor)");
        if (pretrained is null) return FoveaCli.FromUserInput(() => ModelZoo.Get(name));
        if (name != PretrainedResNet18.Name) throw new FoveaUsageException($"--pretrained applies to {PretrainedResNet18.Name}; got --model {name}");
        string file = PretrainedModels.ResolveFile(pretrained);
        return PretrainedResNet18.Entry(shape => PretrainedModels.LoadFeatures(file, shape));
    }

    /// <summary>
    /// Pretrained weights leave the parsed file behind (a few hundred MB for ResNet-18's ONNX file): collected, and the
    /// large-object heap compacted, before the training plan allocates its arrays, so that they do not add up.
    /// </summary>
    private static void ReleaseImportedFile(TrainSettings settings)
    {
        if (settings.Pretrained is null) return;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
    }

    private static void PrintShapes(LoadedData data)
    {
        Console.WriteLine($"x_train shape: {data.Train.Images.Shape}  y_train shape: ({data.Train.Count},)");
        if (data.Validation is not null) Console.WriteLine($"x_val shape: {data.Validation.Images.Shape}  y_val shape: ({data.Validation.Count},)");
        if (data.Test is not null) Console.WriteLine($"x_test shape: {data.Test.Images.Shape}  y_test shape: ({data.Test.Count},)");
        Console.WriteLine();
    }

    /// <summary>A new run's settings from the options; the threads of a distributed run's processes share the cores.</summary>
    internal static TrainSettings ReadSettings(ParseResult parse, ProcessGroup? group)
    {
        string? pretrained = parse.GetValue(Pretrained);
        var zoo = Zoo(parse.GetValue(ModelName)!, pretrained);
        var recipe = zoo.Recipe;
        int epochs = parse.GetValue(Epochs) ?? recipe.Epochs, batchSize = parse.GetValue(BatchSize) ?? recipe.BatchSize;
        float learningRate = parse.GetValue(LearningRate) ?? recipe.LearningRate;
        int? limit = parse.GetValue(Limit), threads = parse.GetValue(Threads), patience = parse.GetValue(EarlyStop), validationFrequency = parse.GetValue(ValidationFreq);
        if (epochs < 1) throw new FoveaUsageException($"--epochs must be at least 1; got {epochs}");
        if (batchSize < 1) throw new FoveaUsageException($"--batch-size must be at least 1; got {batchSize}");
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new FoveaUsageException($"--learning-rate must be positive; got {learningRate}");
        if (limit is < 1) throw new FoveaUsageException($"--limit must be at least 1; got {limit}");
        if (threads is < 1) throw new FoveaUsageException($"--threads must be at least 1; got {threads}");
        if (patience is < 1) throw new FoveaUsageException($"--early-stopping must be at least 1; got {patience}");
        if (validationFrequency is < 1) throw new FoveaUsageException($"--validation-freq must be at least 1; got {validationFrequency}");
        float? mixUp = parse.GetValue(MixUpAlpha);
        if (mixUp is { } alpha && !(alpha >= 0 && alpha <= 4))
            throw new FoveaUsageException($"--mixup must be between 0 (off) and 4; got {alpha.ToString(CultureInfo.InvariantCulture)}");
        int? ensemble = parse.GetValue(EnsembleSize);
        if (ensemble is < 1 or > TrainSettings.MaxEnsemble) throw new FoveaUsageException($"--ensemble must be between 1 and {TrainSettings.MaxEnsemble}; got {ensemble}");
        if (ensemble > 1 && group is not null) throw new FoveaUsageException("--ensemble trains its networks one after another in one process; drop --distributed");
        var data = DataOptions.Read(parse);
        return new TrainSettings
        {
            Model = zoo.Name,
            Pretrained = pretrained is null or PretrainedResNet18.ImageNet ? pretrained : Path.GetFullPath(pretrained),
            Tta = parse.GetValue(Tta),
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
            Seed = parse.GetValue(Seed),
            Limit = limit,
            Threads = threads ?? (group is null ? Environment.ProcessorCount : DefaultThreads()),
            EarlyStopping = patience,
            ValidationFrequency = validationFrequency,
            MixUp = mixUp,
            Ensemble = ensemble,
            Calibrate = (parse.GetValue(Calibrate), parse.GetValue(NoCalibrate)) switch
            {
                (true, true) => throw new FoveaUsageException("--calibrate and --no-calibrate contradict each other; give one"),
                (true, false) => true,
                (false, true) => false,
                _ => null,
            },
        }.WithData(data);
    }
}
