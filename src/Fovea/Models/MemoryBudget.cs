using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// How a batch fits a memory budget (<see cref="Engine.MaxMemory"/>): the bytes its training step plans, and, when
/// that is more than the budget, how it is split. A batch trained in shards (<see cref="Model.TrainingShards"/>) is
/// split along them: fewer shards are trained at once (<see cref="Model.ShardsInFlight"/>), which changes no bit of the
/// result, since the shards and their sum depend on the batch alone. A batch of one shard is trained as micro-batches
/// with their gradients accumulated (<see cref="Model.MicroBatchLimit"/>), as PyTorch's gradient accumulation does. A
/// budget that not even one picture fits is the user's mistake, refused before anything starts.
/// </summary>
/// <param name="BatchSize">Samples per optimiser step.</param>
/// <param name="BatchBytes">The training plan's bytes for the whole batch (<see cref="MemoryPlan.TotalBytes"/>).</param>
/// <param name="Parts">How many shards or micro-batches the batch is trained as: 1 when it fits whole.</param>
/// <param name="PartSize">Samples in the largest part.</param>
/// <param name="PartBytes">The training plan's bytes for one part of <paramref name="PartSize"/>.</param>
/// <param name="Budget">The budget the split was made for, in bytes.</param>
/// <param name="InFlight">For a batch split along its shards, how many are trained at once; 0 otherwise.</param>
/// <param name="MicroBatchLimit">For a batch of one shard split into micro-batches, the most samples that fit the
/// budget at once (what <see cref="Model.MicroBatchLimit"/> is set to); 0 otherwise.</param>
/// <param name="TrainsBatchNorm">Whether the model has a BatchNormalization that trains: its statistics are then those
/// of each micro-batch.</param>
/// <param name="Reserved">What the budget keeps for the rest of the process (the runtime, the pictures): the training
/// plan gets the budget less this.</param>
public sealed record MemoryBudget(int BatchSize, long BatchBytes, int Parts, int PartSize, long PartBytes, long Budget, int InFlight = 0,
    int MicroBatchLimit = 0, bool TrainsBatchNorm = false, long Reserved = 0)
{
    /// <summary>Whether the batch is split: along its shards, a few at a time, or into micro-batches.</summary>
    public bool Applied => InFlight > 0 || MicroBatchLimit > 0;

    /// <summary>Whether the batch is trained as micro-batches with their gradients accumulated.</summary>
    public bool MicroBatched => MicroBatchLimit > 0;

    /// <summary>Sets the split on <paramref name="model"/>: fewer shards at once, or micro-batches; nothing when the batch fits whole.</summary>
    public void Apply(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (InFlight > 0) model.ShardsInFlight = InFlight;
        if (MicroBatched) model.MicroBatchLimit = MicroBatchLimit;
    }

    /// <summary>Whether the batch fits whole.</summary>
    public bool FitsWhole => Parts == 1;

    /// <summary>
    /// The split of <paramref name="batchSize"/> that <paramref name="model"/>'s training plan needs to stay within
    /// <paramref name="budget"/> bytes less <paramref name="reserved"/> (what the rest of the process holds: the
    /// runtime, the pictures): the fewest parts whose largest micro-batch fits. It depends on these numbers alone.
    /// </summary>
    /// <exception cref="FoveaUsageException">Not even one picture fits: the message names the size needed.</exception>
    public static MemoryBudget For(Model model, int batchSize, long budget, long reserved = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be at least 1; got {batchSize}");
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(budget), $"budget must be positive; got {budget}");
        if (reserved < 0) throw new ArgumentOutOfRangeException(nameof(reserved), $"reserved must be non-negative; got {reserved}");
        long Bytes(int samples) => model.PlanMemory(samples, training: true).TotalBytes;
        long whole = Bytes(batchSize), room = budget - reserved;
        if (whole <= room) return new(batchSize, whole, 1, batchSize, whole, budget, Reserved: reserved);
        long one = Bytes(1);
        if (one > room)
            throw new FoveaUsageException($"a memory budget of {ProcessMemory.Format(budget)} is too small for {model.Name}: one picture's training step needs {ProcessMemory.Format(one + reserved)}"
                + (reserved > 0 ? $" with the runtime and the pictures" : ""));
        int shards = model.TrainingShards(batchSize);
        if (shards > 1)
        {
            int shardSize = (batchSize + shards - 1) / shards;
            long shardBytes = Bytes(shardSize);
            int inFlight = (int)Math.Clamp(room / Math.Max(shardBytes, 1), 1, shards);
            return new(batchSize, whole, shards, shardSize, shardBytes, budget, inFlight, Reserved: reserved);
        }
        // The plan grows with the batch: find the largest part that fits, then the fewest equal parts no larger.
        int low = 1, high = batchSize;
        while (low < high)
        {
            int mid = low + (high - low + 1) / 2;
            if (Bytes(mid) <= room) low = mid;
            else high = mid - 1;
        }
        int parts = (batchSize + low - 1) / low, partSize = (batchSize + parts - 1) / parts;
        bool batchNorm = model.Layers.Any(l => l is BatchNormalization);
        return new(batchSize, whole, parts, partSize, Bytes(partSize), budget, MicroBatchLimit: low, TrainsBatchNorm: batchNorm, Reserved: reserved);
    }

    private string Head => $"memory budget {ProcessMemory.Format(Budget)}"
        + (Reserved > 0 ? $" ({ProcessMemory.Format(Reserved)} of it kept for the runtime and the pictures)" : "");

    /// <summary>One line saying how the batch fits.</summary>
    public override string ToString() => FitsWhole
        ? $"{Head}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)} and fits whole"
        : InFlight > 0
        ? $"{Head}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)}; "
          + $"its {Parts} shards of up to {PartSize} ({ProcessMemory.Format(PartBytes)} each) are trained {InFlight} at a time, the same weights bit for bit"
          + (PartBytes > Budget - Reserved ? $" (one shard alone needs more than the budget)" : "")
        : $"{Head}: a batch of {BatchSize} plans {ProcessMemory.Format(BatchBytes)}; "
          + $"it is trained as {Parts} micro-batches of up to {PartSize} ({ProcessMemory.Format(PartBytes)} each) with their gradients accumulated"
          + (TrainsBatchNorm ? "; BatchNorm layers in training mode see each micro-batch's statistics" : "");
}
