using Fovea.Data;
using System.Globalization;
using Fovea.Models;

namespace Fovea.Cli;

/// <summary>
/// The memory of a run, the <c>memory</c> object of <c>metrics.json</c> and rows of the report: the peak resident
/// memory the operating system measured (<see cref="ProcessMemory.PeakResidentBytes"/>) and the bytes the model's
/// training plan asked for at the run's batch size (<see cref="MemoryPlan"/>).
/// </summary>
internal sealed record RunMemory
{
    /// <summary>The process's peak resident set, in bytes (VmHWM on Linux).</summary>
    public required long PeakResidentBytes { get; init; }

    /// <summary>The same in MiB, rounded, as <c>fovea bench</c> prints <c>peak_working_set_mb</c>.</summary>
    public long PeakResidentMb => (PeakResidentBytes + (1 << 19)) >> 20;

    /// <summary>The batch size the plan is for.</summary>
    public required int BatchSize { get; init; }

    /// <summary><see cref="MemoryPlan.ActivationBytes"/> of a training step at <see cref="BatchSize"/>.</summary>
    public required long ActivationBytes { get; init; }

    /// <summary><see cref="MemoryPlan.GradientBytes"/>.</summary>
    public required long GradientBytes { get; init; }

    /// <summary><see cref="MemoryPlan.WeightBytes"/>.</summary>
    public required long WeightBytes { get; init; }

    /// <summary><see cref="MemoryPlan.OptimizerStateBytes"/>.</summary>
    public required long OptimizerStateBytes { get; init; }

    /// <summary>The run's memory budget (<c>--max-memory</c> or the container's limit), if any.</summary>
    public long? BudgetBytes { get; init; }

    /// <summary>How the batch was split to fit the budget: <c>whole</c>, <c>shards</c> (fewer at once) or
    /// <c>micro-batches</c> (gradients accumulated); null without a budget.</summary>
    public string? Split { get; init; }

    /// <summary>How many parts a batch is trained as (shards or micro-batches); null without a budget.</summary>
    public int? Parts { get; init; }

    /// <summary>Samples in the largest part; null without a budget.</summary>
    public int? PartSize { get; init; }

    /// <summary>The training plan's bytes for one part; null without a budget.</summary>
    public long? PartBytes { get; init; }

    /// <summary>Shards trained at once, for a batch split along its shards.</summary>
    public int? ShardsInFlight { get; init; }

    /// <summary>The line <c>fovea train</c> printed about the split; null without a budget.</summary>
    public string? SplitLine { get; init; }

    /// <summary>What a memory budget keeps for the process besides the training plan: the runtime and the libraries.</summary>
    public const long RuntimeReserveBytes = 256L << 20;

    /// <summary>
    /// What a memory budget keeps for everything but the training plan: <see cref="RuntimeReserveBytes"/> and the
    /// pictures' bytes (held in memory, or mapped from the image cache, whose pages count as resident once read).
    /// It depends on the data alone, so the split it leads to is the same on every run with the same settings.
    /// </summary>
    public static long ReservedBytes(LoadedData data, CalibrationSet? calibration)
    {
        long Bytes(LabeledImages? set) => set is null ? 0 : (long)set.Count * set.Images.ImageSize;
        return RuntimeReserveBytes + Bytes(data.Train) + Bytes(data.Validation) + Bytes(data.Test)
            + (calibration is { HeldOutOfTraining: true } ? Bytes(calibration.Images) : 0);
    }

    /// <summary>The peak measured now and <paramref name="model"/>'s training plan at <paramref name="batchSize"/>;
    /// <paramref name="split"/>: how the batch was fitted to the budget, if there is one.</summary>
    public static RunMemory Measure(Model model, int batchSize, long? budget, MemoryBudget? split = null)
    {
        var plan = model.PlanMemory(batchSize, training: true);
        return new RunMemory
        {
            PeakResidentBytes = ProcessMemory.PeakResidentBytes(),
            BatchSize = batchSize,
            ActivationBytes = plan.ActivationBytes,
            GradientBytes = plan.GradientBytes,
            WeightBytes = plan.WeightBytes,
            OptimizerStateBytes = plan.OptimizerStateBytes,
            BudgetBytes = budget,
            Split = split is null ? null : split.FitsWhole ? "whole" : split.MicroBatched ? "micro-batches" : "shards",
            Parts = split?.Parts,
            PartSize = split?.PartSize,
            PartBytes = split?.PartBytes,
            ShardsInFlight = split is { InFlight: > 0 } ? split.InFlight : null,
            SplitLine = split?.ToString(),
        };
    }

    /// <summary>The line <c>fovea train</c> ends with.</summary>
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"peak memory: {PeakResidentMb:N0} MB resident; planned at batch {BatchSize}: activations {ProcessMemory.Format(ActivationBytes)}, "
        + $"weights {ProcessMemory.Format(WeightBytes)}, gradients {ProcessMemory.Format(GradientBytes)}, optimiser {ProcessMemory.Format(OptimizerStateBytes)}")
        + (BudgetBytes is { } b ? $" (budget {ProcessMemory.Format(b)}" + SplitSummary() + ")" : "");

    /// <summary>", trained as 4 micro-batches of up to 8" when the batch was split; empty otherwise.</summary>
    private string SplitSummary() => Split switch
    {
        "micro-batches" => string.Create(CultureInfo.InvariantCulture, $", trained as {Parts} micro-batches of up to {PartSize}"),
        "shards" => string.Create(CultureInfo.InvariantCulture, $", {ShardsInFlight} of {Parts} shards at a time"),
        _ => "",
    };

    /// <summary>The report's rows.</summary>
    public IEnumerable<KeyValuePair<string, string>> ReportRows()
    {
        yield return new("Peak memory", $"{PeakResidentMb.ToString("N0", CultureInfo.InvariantCulture)} MB resident");
        yield return new("Memory plan", string.Create(CultureInfo.InvariantCulture,
            $"batch {BatchSize}: activations {ProcessMemory.Format(ActivationBytes)}, weights {ProcessMemory.Format(WeightBytes)}, "
            + $"gradients {ProcessMemory.Format(GradientBytes)}, optimiser {ProcessMemory.Format(OptimizerStateBytes)}"));
        if (BudgetBytes is { } budget) yield return new("Memory budget", SplitLine ?? ProcessMemory.Format(budget));
    }
}
