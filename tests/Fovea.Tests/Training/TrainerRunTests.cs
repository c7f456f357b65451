using System.Runtime.InteropServices;
using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Training;

/// <summary>A run in a folder, through the library: stopped, resumed from its folder, finished.</summary>
public sealed class TrainerRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"fovea-trainer-{Guid.NewGuid():N}");
    private static readonly RunPlan Plan = new() { Epochs = 3, BatchSize = 16, EarlyStoppingPatience = 2, ClassNames = ["a", "b", "c"], Settings = "{\"note\":\"mine\"}" };
    private readonly (ImageSet X, int[] Y) _train = Data(100, seed: 1), _validation = Data(24, seed: 2);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static Sequential CompiledModel()
    {
        var model = new Sequential(
            new Conv2D(8, (3, 3), activation: Activation.Relu, inputShape: (8, 8, 3)),
            new MaxPool2D((2, 2)),
            new Flatten(),
            new Dense(3, activation: Activation.Softmax)) { Seed = 5 };
        model.Compile(new Adam(), new SparseCategoricalCrossentropy(), ["accuracy"]);
        return model;
    }

    private static (ImageSet, int[]) Data(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 8 * 8 * 3];
        random.NextBytes(pixels);
        return (new ImageSet(pixels, count, 8, 8, 3), Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray());
    }

    private RunResult Run(Model model, RunFolder folder, RunPlan plan, CancellationToken cancel = default, params Callback[] callbacks) =>
        new Trainer(model).Run(folder, plan, _train.X, _train.Y, _validation, callbacks, verbose: 0, cancel: cancel);

    /// <summary>Stops the run at (epoch, step), as Ctrl+C would.</summary>
    private string StoppedRun(int epoch, int step)
    {
        string path = Path.Combine(_root, "stopped");
        using var folder = RunFolder.Create(path, overwrite: false);
        using var stop = new CancellationTokenSource();
        var result = Run(CompiledModel(), folder, Plan, stop.Token, new LambdaCallback(onBatchEnd: (e, s) => { if (e == epoch && s == step) stop.Cancel(); }));
        Assert.True(result.Interrupted);
        return path;
    }

    [Fact]
    public void AStoppedRunResumedFromItsFolderGivesTheWeightsOfAnUninterruptedOne()
    {
        var straight = CompiledModel();
        using (var folder = RunFolder.Create(Path.Combine(_root, "straight"), overwrite: false))
            Assert.False(Run(straight, folder, Plan).Interrupted);

        string stopped = StoppedRun(epoch: 2, step: 3);
        var resumed = CompiledModel();
        using (var folder = RunFolder.Existing(stopped))
        {
            Assert.Equal(Plan.Settings, folder.SavedSettings());
            var trainer = new Trainer(resumed);
            var state = trainer.Resume(folder);
            Assert.Equal(1, state.CompletedEpochs);
            Assert.Equal(4, state.StepsIntoEpoch);   // the step after the one that asked to stop
            Assert.False(trainer.Run(folder, Plan, _train.X, _train.Y, _validation, verbose: 0).Interrupted);
            Assert.Equal(straight.State.History.Epochs.Select(e => (e.Loss, e.ValLoss)), trainer.State.History.Epochs.Select(e => (e.Loss, e.ValLoss)));
        }
        Assert.True(MemoryMarshal.AsBytes(straight.Weights).SequenceEqual(MemoryMarshal.AsBytes(resumed.Weights)), "the resumed run's weights differ");
        Assert.True(File.Exists(Path.Combine(stopped, "history.csv")));
        Assert.True(File.Exists(Path.Combine(stopped, "best.safetensors")));
    }

    [Fact]
    public void AFinishedRunIsNotResumed()
    {
        string path = Path.Combine(_root, "finished");
        using (var folder = RunFolder.Create(path, overwrite: false))
        {
            var trainer = new Trainer(CompiledModel());
            trainer.Run(folder, Plan, _train.X, _train.Y, _validation, verbose: 0);
            trainer.MarkFinished(folder, Plan);
        }
        using var again = RunFolder.Existing(path);
        Assert.Contains("holds a finished run", Assert.Throws<FoveaException>(() => again.SavedSettings()).Message);
        Assert.Contains("holds a finished run", Assert.Throws<FoveaException>(() => new Trainer(CompiledModel()).Resume(again)).Message);
    }

    [Fact]
    public void AResumedRunMustKeepItsPlan()
    {
        using var folder = RunFolder.Existing(StoppedRun(epoch: 1, step: 2));
        var error = Assert.Throws<FoveaException>(() => Run(CompiledModel(), folder, Plan with { Epochs = 4 }));
        Assert.Contains("the run was started with", error.Message);
    }

    [Fact]
    public void ANewRunRefusesAFolderThatHoldsOne()
    {
        string path = Path.Combine(_root, "taken");
        using (var folder = RunFolder.Create(path, overwrite: false))
            Run(CompiledModel(), folder, Plan with { Epochs = 1 });
        Assert.NotEmpty(RunFolder.ExistingRunFiles(path));
        Assert.Throws<FoveaException>(() => RunFolder.Create(path, overwrite: false));
    }
}
