using System.CommandLine;
using Fovea.Data;
using Fovea.Distributed;
using Fovea.IO;
using Fovea.Models;
using Fovea.Training;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea train --distributed</c> on the processes other than 0: the same data, model, recipe and steps as process 0
/// (which trains through <see cref="Trainer.Run"/> in the run folder), silently, writing nothing; a resumed run reads
/// its settings and state from process 0's checkpoint, which must be reachable at the same path.
/// </summary>
internal static partial class TrainCommand
{
    /// <summary>Worker threads per process by default: the cores shared by the processes of this machine.</summary>
    private static int DefaultThreads()
    {
        string? local = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE");
        int processes = int.TryParse(local, out int n) && n > 0 ? n : 1;
        return Math.Max(1, Environment.ProcessorCount / processes);
    }

    private static int Follow(ParseResult parse, ProcessGroup group)
    {
        Console.SetOut(TextWriter.Null);
        string? resume = parse.GetValue(Resume);
        SafeTensorsFile? checkpoint = null;
        string checkpointPath = "";
        TrainSettings settings;
        if (resume is not null)
        {
            checkpointPath = Path.Combine(Path.GetFullPath(resume), "checkpoint.safetensors");
            checkpoint = SafeTensors.Read(checkpointPath);
            var saved = TrainSettings.FromJson(checkpoint.Metadata.GetValueOrDefault(Checkpoint.SettingsKey), checkpointPath);
            settings = parse.GetValue(DataOptions.Data) is { } moved ? saved with { Data = Path.GetFullPath(moved) } : saved;
        }
        else
        {
            settings = ReadSettings(parse, group);
        }
        Engine.Threads = settings.Threads;
        var zoo = Zoo(settings.Model, settings.Pretrained);
        var data = DataResolver.Load(settings.DataRequest, settings.Limit, settings.Seed, CancellationToken.None, DataResolver.DefaultValidationSplit);
        // The pictures held out for the temperature are held out here too: every process trains on the same ones.
        if (settings.Calibrate ?? CalibrationSet.ByDefault(data)) (_, data) = CalibrationSet.Choose(data, settings.Seed);
        var model = FoveaCli.FromUserInput(() => zoo.Create(data.Train.Images.ImageShape, data.ClassNames.Count, settings.Seed));
        Prepare(zoo, model, data, settings, newRun: resume is null, beforeSummary: () => null);
        group.Share(model);
        var trainer = new Trainer(model);
        var state = checkpoint is null ? null : Checkpoint.Load(checkpoint, checkpointPath, model).State;
        // The same callbacks, in the same order, as process 0's run: its stop after a step becomes everyone's.
        List<Callback> callbacks = [new CancellationCallback(CancellationToken.None), .. zoo.Callbacks(model), new StopTogether(group)];
        int epochs = settings.Epochs;
        if (settings.EarlyStopping is { } patience)
        {
            var early = new EarlyStopping(patience);
            if (state is not null)
            {
                string best = Path.Combine(Path.GetDirectoryName(checkpointPath)!, "best.safetensors");
                early.Resume(state.History, File.Exists(best) ? Model.Load(best).Model.Weights.ToArray() : null);
                if (early.PatienceExhausted) epochs = state.CompletedEpochs;
            }
            callbacks.Add(early);
        }
        // Validation decides nothing here unless early stopping watches it: then every process must see the same.
        var validation = data.ValidationOrTest!;
        (ImageSet, int[])? validate = settings.EarlyStopping is null ? null : (validation.Images, validation.Labels);
        trainer.Fit(data.Train.Images, data.Train.Labels, settings.BatchSize, epochs, validate,
            verbose: 0, callbacks: callbacks, resumeFrom: state, dropRemainder: zoo.Recipe.DropRemainder);
        return trainer.State.CompletedEpochs < epochs && model.StopTraining ? ExitCodes.Interrupted : ExitCodes.Success;
    }
}
