using System.CommandLine;
using System.Runtime.InteropServices;
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

    /// <summary>The run's folder, once process 0 has opened it.</summary>
    private static string? s_runFolder;

    /// <summary>
    /// When a process dies, Open MPI's launcher sends SIGTERM to the others: the lowest-numbered survivor on the dead
    /// one's machine says in one line which process died and how to go on, and every survivor ends at once (a stop
    /// asked for with SIGTERM, with every process alive, is left to the run, which saves after the step).
    /// </summary>
    private static PosixSignalRegistration WatchForLostProcesses(ParseResult parse, ProcessGroup group) =>
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            var dead = group.Peers.Dead();
            if (dead.Count == 0) return;
            context.Cancel = true;
            if (group.Peers.Reports(dead)) Console.Error.WriteLine(LostProcessMessage(parse, group, dead[0]));
            Console.Error.Flush();
            Environment.Exit(ExitCodes.InternalError);
        });

    private static string LostProcessMessage(ParseResult parse, ProcessGroup group, int rank)
    {
        string? folder = s_runFolder ?? parse.GetValue(Resume) ?? parse.GetValue(Out);
        string died = $"error: process {rank} of {group.Size} (pid {group.Peers.ProcessId(rank)}) died (killed, or out of memory), so the job stopped";
        if (folder is null) return $"{died}; continue from the run's last checkpoint with fovea train --resume RUN_FOLDER (the folder process 0 wrote to)";
        folder = Path.GetFullPath(folder);
        return File.Exists(Path.Combine(folder, "checkpoint.safetensors"))
            ? $"{died}; its last checkpoint is intact: continue with fovea train --resume {folder} (on one process, or under mpirun with --distributed)"
            : $"{died} before its first checkpoint: start the run again";
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
