namespace Fovea.Models;

/// <summary>
/// How many samples an evaluation or prediction pass takes at once. A plan grows with its batch and is kept for the
/// model's life, so a large evaluation batch at a large picture size would hold gigabytes for a pass that gives the
/// same predictions in smaller batches: the batch asked for is lowered to what the memory budget allows.
/// </summary>
public partial class Model
{
    /// <summary>
    /// The memory an evaluation pass may plan when no budget is set (<see cref="Engine.MaxMemory"/> is null): 2 GB, far
    /// above what 32-pixel models ask for at the batch sizes people use, below what a 224-pixel ResNet asks for at 64.
    /// </summary>
    public const long DefaultEvaluationBudget = 2L << 30;

    /// <summary>
    /// The most samples an evaluation or prediction pass takes at once, whatever batch is asked for: larger passes
    /// give the same predictions more slowly, their activations further from the cores (airbench94's inference,
    /// alternating in one process: 2,259 images/s at 256 against 1,991 at 1,024 and 2,018 at 64).
    /// </summary>
    public const int MaxEvaluationBatch = 256;

    /// <summary>
    /// The batch an evaluation or prediction pass over <paramref name="count"/> samples takes when
    /// <paramref name="batchSize"/> is asked for (at most <see cref="MaxEvaluationBatch"/>): as asked when the model's plan already holds it or its plan fits
    /// the memory budget (<see cref="Engine.MaxMemory"/>, else <see cref="DefaultEvaluationBudget"/>) and, for a model
    /// trained in micro-batches, is no larger than one (<see cref="MicroBatchLimit"/>); otherwise the largest that
    /// fits, never below what the plan already holds (which costs nothing more) nor below one.
    /// </summary>
    internal int EvaluationBatch(int batchSize, int count)
    {
        Build();
        int wanted = Math.Max(1, Math.Min(Math.Min(batchSize, count), MaxEvaluationBatch));
        if (wanted <= _capacity) return wanted;
        // Training in micro-batches means the budget holds one micro-batch's plan: evaluation keeps to it.
        if (_microBatchLimit is { } limit) wanted = Math.Min(wanted, Math.Max(limit, _capacity));
        if (wanted <= _capacity) return wanted;
        long budget = Engine.MaxMemory ?? DefaultEvaluationBudget;
        long Bytes(int samples) => PlanMemory(samples, training: !_inferenceOnly).TotalBytes;
        if (Bytes(wanted) <= budget) return wanted;
        int low = Math.Max(1, _capacity), high = wanted;
        while (low < high)
        {
            int mid = low + (high - low + 1) / 2;
            if (Bytes(mid) <= budget) low = mid;
            else high = mid - 1;
        }
        return low;
    }

    /// <summary>The batch the model's plan holds: 0 before the first step.</summary>
    internal int PlannedBatch => _capacity;

    /// <summary>Plans buffers for an evaluation or prediction pass (<see cref="EvaluationBatch"/>); returns its batch.</summary>
    internal int PrepareEvaluation(int batchSize, int count)
    {
        EnsureCapacity(EvaluationBatch(batchSize, count));
        return Math.Min(Math.Min(batchSize, count), _capacity);
    }
}
