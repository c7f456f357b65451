namespace Fovea.Models;

/// <summary>
/// How a batch fits a memory budget (<see cref="Engine.MaxMemory"/>): the bytes its training step plans, and, when
/// that is more than the budget, how it is split. A batch trained in shards (<see cref="Model.TrainingShards"/>) is
/// split along them: fewer shards are trained at once (<see cref="Model.ShardsInFlight"/>), which changes no bit of the
/// result, since the shards and their sum depend on the batch alone. A batch of one shard would need micro-batches of
/// its own, which are only reported. A budget that not even one picture fits is the user's mistake, refused before
/// anything starts.
/// </summary>
/// <param name="BatchSize">Samples per optimiser step.</param>
/// <param name="BatchBytes">The training plan's bytes for the whole batch (<see cref="MemoryPlan.TotalBytes"/>).</param>
/// <param name="Parts">How many micro-batches the batch needs to fit: 1 when it fits whole.</param>
/// <param name="PartSize">Samples in the largest micro-batch.</param>
/// <param name="PartBytes">The training plan's bytes for one micro-batch of <paramref name="PartSize"/>.</param>
/// <param name="Budget">The budget the split was made for, in bytes.</param>
/// <param name="InFlight">For a batch split along its shards, how many are trained at once; 0 otherwise.</param>
public sealed record MemoryBudget(int BatchSize, long BatchBytes, int Parts, int PartSize, long PartBytes, long Budget, int InFlight = 0)
{
    /// <summary>Whether the split is applied: along the batch's shards, a few at a time.</summary>
    public bool Applied => InFlight > 0;

    /// <summary>Whether the batch fits whole.</summary>
    public bool FitsWhole => Parts == 1;

    /// <summary>
    /// The split of <paramref name="batchSize"/> that <paramref name="model"/>'s training plan needs to stay within
    /// <paramref name="budget"/> bytes: the fewest parts whose largest micro-batch fits.
    /// </summary>
    /// <exception cref="FoveaUsageException">Not even one picture fits: the message names the size needed.</exception>
    public static MemoryBudget For(Model model, int batchSize, long budget)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be at least 1; got {batchSize}");
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(budget), $"budget must be positive; got {budget}");
        long Bytes(int samples) => model.PlanMemory(samples, training: true).TotalBytes;
        long whole = Bytes(batchSize);
        if (whole <= budget) return new(batchSize, whole, 1, batchSize, whole, budget);
        long one = Bytes(1);
        if (one > budget)
            throw new FoveaUsageException($"a memory budget of {ProcessMemory.Format(budget)} is too small for {model.Name}: one picture's training step needs {ProcessMemory.Format(one)}");
        int shards = model.TrainingShards(batchSize);
        if (shards > 1)
        {
            int shardSize = (batchSize + shards - 1) / shards;
            long shardBytes = Bytes(shardSize);
            int inFlight = (int)Math.Clamp(budget / Math.Max(shardBytes, 1), 1, shards);
            return new(batchSize, whole, shards, shardSize, shardBytes, budget, inFlight);
        }
        // The plan grows with the batch: find the largest part that fits, then the fewest equal parts no larger.
        int low = 1, high = batchSize;
        while (low < high)
        {
            int mid = low + (high - low + 1) / 2;
            if (Bytes(mid) <= budget) low = mid;
            else high = mid - 1;
        }
        int parts = (batchSize + low - 1) / low, partSize = (batchSize + parts - 1) / parts;
        return new(batchSize, whole, parts, partSize, Bytes(partSize), budget);
    }

    /// <summary>One line saying how the batch fits.</summary>
    public override string ToString() => FitsWhole
        ? $"memory budget {ProcessMemory.Format(Budget)}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)} and fits whole"
        : Applied
        ? $"memory budget {ProcessMemory.Format(Budget)}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)}; "
          + $"its {Parts} shards of up to {PartSize} ({ProcessMemory.Format(PartBytes)} each) are trained {InFlight} at a time, the same weights bit for bit"
          + (PartBytes > Budget ? $" (one shard alone needs more than the budget)" : "")
        : $"memory budget {ProcessMemory.Format(Budget)}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)}; "
          + $"it fits as {Parts} micro-batches of up to {PartSize} ({ProcessMemory.Format(PartBytes)} each)";
}
