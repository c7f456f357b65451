using Fovea.Data;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Gradient accumulation, as a PyTorch loop does it by calling <c>backward()</c> on several micro-batches before one
/// <c>optimizer.step()</c>: a training batch of one shard (<see cref="TrainingShards"/>) larger than
/// <see cref="MicroBatchLimit"/> runs forward and backward in equal micro-batches through the model's own plan, sized
/// for one micro-batch, its gradients summed in place and the loss reduced over the whole batch; then the optimiser
/// takes one step. Without a trained BatchNormalization the result is the whole step's up to the order of the
/// gradient sums; a BatchNormalization in training mode normalises each micro-batch with its own statistics and moves
/// its moving statistics once per micro-batch, as PyTorch's does. The split depends on the limit and the batch
/// alone, so the same settings give the same bits.
/// </summary>
public partial class Model
{
    private int? _microBatchLimit;

    /// <summary>
    /// The most samples a training step of one shard runs at once, or null for no limit: a memory budget sets it
    /// (<see cref="MemoryBudget.Apply"/>). A larger batch of one shard is trained as micro-batches with its gradients
    /// accumulated. Batches of several shards are split along their shards instead (<see cref="ShardsInFlight"/>).
    /// </summary>
    public int? MicroBatchLimit
    {
        get => _microBatchLimit;
        set => _microBatchLimit = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"MicroBatchLimit must be at least 1; got {value}");
    }

    /// <summary>How many micro-batches a training batch of <paramref name="batch"/> samples is trained as: 1 for a whole step.</summary>
    internal int MicroBatches(int batch) =>
        _microBatchLimit is { } limit && batch > limit && ShardExchange is null && TrainingShards(batch) == 1 ? (batch + limit - 1) / limit : 1;

    /// <summary>The largest batch the model's own plan runs at once for training batches of up to <paramref name="batch"/>.</summary>
    private int PlannedTrainingBatch(int batch) => MicroBatches(batch) > 1 ? Math.Min(batch, _microBatchLimit!.Value) : batch;

    /// <summary>
    /// One optimiser step on <paramref name="indices"/> in <paramref name="parts"/> micro-batches (cut as shards are,
    /// <see cref="ShardRange.FirstSample"/>): each gathered and augmented on its own (augmentation depends on the
    /// sample, not on the batch around it), run forward and backward with its gradients added to the others'.
    /// </summary>
    private (double LossSum, int Correct) TrainInMicroBatches(DataSource x, int[] y, ReadOnlySpan<int> indices, int epoch, int parts)
    {
        int batch = indices.Length;
        EnsureCapacity((batch + parts - 1) / parts);
        long stepSeed = StepSeed;
        double loss = 0;
        int correct = 0;
        Array.Clear(_gradients);
        for (int p = 0; p < parts; p++)
        {
            int first = ShardRange.FirstSample(batch, parts, p);
            var part = indices[first..ShardRange.FirstSample(batch, parts, p + 1)];
            x.Gather(InputBuffer, part);
            Augmentation?.Apply(InputBuffer, part, InputShape, epoch, Seed);
            for (int j = 0; j < part.Length; j++) _batchLabels[j] = y[part[j]];
            MixBatch(x, y, indices, first, part.Length, epoch);
            ForwardPass(part.Length, training: true, stepSeed: stepSeed, shard: p);
            loss += LossAndGradient(part.Length, withGradient: true, reducedOver: batch);
            correct += CountCorrect(part.Length);
            BackwardPass(part.Length);
        }
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        return (loss, correct);
    }
}
