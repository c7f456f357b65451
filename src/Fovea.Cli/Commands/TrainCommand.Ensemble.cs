using System.Diagnostics;
using System.Globalization;
using Fovea.Models;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea train --ensemble N</c>: N networks of the recipe, trained one after another in the run folder from seeds
/// SEED … SEED + N − 1 (member k's weights, shuffles and augmentation are those of a single run with seed SEED + k),
/// each kept in members/ with its history; then one model that averages their probabilities is calibrated (where a run
/// of one network would be: the temperature divides the mean's logarithm), evaluated, reported and saved as the run's model. The checkpoint is the current member's and records which it is, so that
/// <c>--resume</c> continues with that member and trains the rest.
/// </summary>
internal static partial class TrainCommand
{
    /// <summary>Where member <paramref name="index"/> (from 0) of an ensemble run is kept.</summary>
    internal static string MemberPath(RunFolder run, int index) =>
        Path.Combine(run.Path, "members", $"member-{index + 1}.safetensors");

    private static int TrainEnsemble(RunFolder run, TrainSettings settings, LoadedData data, CalibrationSet? calibration, ZooModel zoo, Model first, bool resumed,
        bool explicitBudget, bool recipeEnsemble, CancellationToken ct)
    {
        var recipe = zoo.Recipe;
        int members = settings.Networks, start = settings.Member;
        Directory.CreateDirectory(Path.Combine(run.Path, "members"));
        Console.WriteLine($"ensemble: {members} networks from seeds {settings.Seed} to {settings.Seed + members - 1}, their probabilities averaged"
            + (recipeEnsemble ? string.Create(CultureInfo.InvariantCulture, $" (the recipe's for {data.Train.Count:N0} training pictures; --ensemble 1 trains one)") : "")
            + (resumed ? $"; resuming network {start + 1}" : ""));
        var clock = Stopwatch.StartNew();
        Trainer? last = null;
        RunPlan? plan = null;
        MemoryBudget? split = null;
        for (int k = start; k < members; k++)
        {
            long seed = settings.Seed + k;
            var model = k == start ? first : FoveaCli.FromUserInput(() => zoo.Create(data.Train.Images.ImageShape, data.ClassNames.Count, seed));
            bool resumesThis = resumed && k == start;
            Console.WriteLine();
            Console.WriteLine($"network {k + 1} of {members} (seed {seed})");
            var budgetSplit = Prepare(zoo, model, data, settings, newRun: !resumesThis, () => CheckMemoryBudget(run, model, settings.BatchSize, RunMemory.ReservedBytes(data, calibration), explicitBudget),
                quiet: k > start);
            split ??= budgetSplit;
            var trainer = new Trainer(model);
            if (resumesThis)
            {
                var state = trainer.Resume(run);
                Console.WriteLine($"resuming {run.Path} after epoch {state.CompletedEpochs}" + (state.AtEpochBoundary ? "" : $", step {state.StepsIntoEpoch}"));
            }
            else run.StartNewRun();
            plan = new RunPlan
            {
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                DropRemainder = recipe.DropRemainder,
                EarlyStoppingPatience = settings.EarlyStopping,
                ValidationFrequency = settings.ValidationFrequencyFor(recipe),
                ClassNames = data.ClassNames,
                Settings = (settings with { Member = k }).ToJson(),
            };
            var outcome = trainer.Run(run, plan, data.Train.Images, data.Train.Labels, (data.ValidationOrTest!.Images, data.ValidationOrTest.Labels),
                zoo.Callbacks(model), cancel: ct);
            if (outcome.Interrupted)
            {
                var s = trainer.State;
                Console.Error.WriteLine($"interrupted in network {k + 1} of {members} after epoch {s.CompletedEpochs}, step {s.StepsIntoEpoch}: checkpoint saved in {run.CheckpointPath}");
                Console.Error.WriteLine($"resume with: fovea train --resume {run.Path}");
                return ExitCodes.Interrupted;
            }
            model.Save(MemberPath(run, k), data.ClassNames);
            File.Copy(run.HistoryPath, Path.ChangeExtension(MemberPath(run, k), null) + "-history.csv", overwrite: true);
            last = trainer;
            // A network's training plan (about a gigabyte for ResNet-18 at 128 px) goes before the next one plans its own.
            model.ReleaseMemory();
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;

        // The members come back from their files: the training plans of the networks above are garbage by now.
        var combined = Ensemble.Combine(Enumerable.Range(0, members).Select(k => Model.Load(MemberPath(run, k)).Model).ToList(), name: $"{zoo.Name}_ensemble");
        combined.Compile(optimizer: new Optimizers.Sgd(), loss: recipe.Loss(), metrics: ["accuracy"]);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ensemble: {members} networks, {combined.ParameterCount:N0} parameters; members kept in {Path.Combine(run.Path, "members")}"));
        IReadOnlyList<KeyValuePair<string, string>> rows =
        [
            new("Ensemble", $"{members} networks from seeds {settings.Seed} to {settings.Seed + members - 1}, probabilities averaged; the charts show network {members}'s training"),
        ];
        Finish(run, new Trainer(combined), plan!, data, calibration, settings, recipe, trainSeconds, split, rows, checkpointOwner: last);
        return ExitCodes.Success;
    }
}
