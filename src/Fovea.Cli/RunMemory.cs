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

    /// <summary>The peak measured now and <paramref name="model"/>'s training plan at <paramref name="batchSize"/>.</summary>
    public static RunMemory Measure(Model model, int batchSize, long? budget)
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
        };
    }

    /// <summary>The line <c>fovea train</c> ends with.</summary>
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"peak memory: {PeakResidentMb:N0} MB resident; planned at batch {BatchSize}: activations {ProcessMemory.Format(ActivationBytes)}, "
        + $"weights {ProcessMemory.Format(WeightBytes)}, gradients {ProcessMemory.Format(GradientBytes)}, optimiser {ProcessMemory.Format(OptimizerStateBytes)}")
        + (BudgetBytes is { } b ? $" (budget {ProcessMemory.Format(b)})" : "");

    /// <summary>The report's rows.</summary>
    public IEnumerable<KeyValuePair<string, string>> ReportRows()
    {
        yield return new("Peak memory", $"{PeakResidentMb.ToString("N0", CultureInfo.InvariantCulture)} MB resident");
        yield return new("Memory plan", string.Create(CultureInfo.InvariantCulture,
            $"batch {BatchSize}: activations {ProcessMemory.Format(ActivationBytes)}, weights {ProcessMemory.Format(WeightBytes)}, "
            + $"gradients {ProcessMemory.Format(GradientBytes)}, optimiser {ProcessMemory.Format(OptimizerStateBytes)}"));
        if (BudgetBytes is { } budget) yield return new("Memory budget", ProcessMemory.Format(budget));
    }
}
