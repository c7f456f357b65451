using Fovea.Zoo;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Xunit.Abstractions;

namespace Fovea.Tests.Models;

/// <summary>
/// A training step and a planned forward pass allocate nothing once warm: every buffer is sized once per batch
/// size. Counted on the calling thread, where any per-step object (24 bytes at least, × 50 steps) breaks a
/// 1,000-byte bound, and over all threads (precise, so the worker pool and the GEMM's per-thread state count)
/// against a small bound. Deterministic, unlike timing: a regression shows up as bytes whatever the load. The whole
/// process is judged in the quietest of several windows (<see cref="AllocationMeter"/>).
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class AllocationTests(ITestOutputHelper output)
{
    // Room for what other threads of the process allocate meanwhile. In a plain process the engine shows 0 bytes
    // after the first step, but the test host allocates about 168 bytes every 100 ms, and the runtime's tier-up of
    // the engine's methods (over roughly the first 20 steps) some kilobytes. One activation buffer of this model at
    // batch 64 is already 230 KB, so re-planning cannot hide under the bound.
    private const long BoundBytes = 64 * 1024;
    // A new worker pool's first blocking wait creates the lock object of its ManualResetEventSlim (24 bytes, once).
    private const long CallerBoundBytes = 1_000;
    private const int Batch = 64, WarmupSteps = 40, Steps = 50;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TrainingStepsAllocateNothing(int threads)
    {
        using var _ = new EngineThreads(threads);
        var model = ModelZoo.SeedCnn(seed: 3);
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var (x, y) = RandomBatch(model, Batch);
        for (int i = 0; i < WarmupSteps; i++) model.TrainOnBatch(x, y);

        var (caller, all) = Allocations(() => model.TrainOnBatch(x, y));

        output.WriteLine($"{Steps} training steps, {threads} thread(s): {caller} bytes on the calling thread at most, {all} in all in the quietest window");
        Assert.True(caller < CallerBoundBytes, $"the calling thread allocated {caller} bytes");
        Assert.True(all < BoundBytes, $"{Steps} training steps on {threads} thread(s) allocated {all} bytes");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PlannedPredictionsAllocateNothing(int threads)
    {
        using var _ = new EngineThreads(threads);
        var model = ModelZoo.SeedCnn(seed: 3);
        model.Build();
        var (x, _) = RandomBatch(model, Batch);
        var probabilities = new float[Batch * model.OutputShape.Size];
        for (int i = 0; i < WarmupSteps; i++) model.PredictBatch(probabilities, x, Batch);

        var (caller, all) = Allocations(() => model.PredictBatch(probabilities, x, Batch));

        output.WriteLine($"{Steps} forward passes, {threads} thread(s): {caller} bytes on the calling thread at most, {all} in all in the quietest window");
        Assert.True(caller < CallerBoundBytes, $"the calling thread allocated {caller} bytes");
        Assert.True(all < BoundBytes, $"{Steps} forward passes on {threads} thread(s) allocated {all} bytes");
    }

    /// <summary>Bytes allocated over <see cref="Steps"/> runs of <paramref name="step"/> (<see cref="AllocationMeter"/>).</summary>
    private static (long Caller, long All) Allocations(Action step) => AllocationMeter.Measure(step, Steps);

    internal static (float[] X, int[] Y) RandomBatch(Sequential model, int batch, ulong seed = 11)
    {
        var rng = new Rng(seed);
        var x = new float[batch * model.InputShape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = new int[batch];
        for (int i = 0; i < y.Length; i++) y[i] = rng.NextInt(model.OutputShape[^1]);
        return (x, y);
    }
}
