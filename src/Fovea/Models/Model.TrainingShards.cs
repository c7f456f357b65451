using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Fovea.Kernels;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Data-parallel training steps: a batch is trained as shards of <see cref="ShardImagesAtLeast"/> or more samples, each
/// through its own replica of the model on one worker thread with every kernel inline, and the replicas' gradients
/// are summed in shard order before the optimiser's step. The shards depend on the batch size only, so the weights
/// are the same bit for bit on one thread or two, and on one process or several (<see cref="ShardExchange"/>: each
/// process trains a contiguous run of shards, and the sums are formed in shard order all the same). BatchNormalization
/// normalises each shard with the shard's own statistics ("ghost" batch norm) and moves its moving statistics once a
/// step, towards the mean of the shards'; Dropout draws each shard's masks from the shard's own stream. A model with a
/// layer that cannot be sharded, or a batch of fewer than two shards, takes a whole-batch step (on every process).
/// </summary>
public partial class Model
{
    /// <summary>Fewest samples in a training shard, and the most shards.</summary>
    internal const int ShardImages = 32, MaxShards = 8;

    /// <summary>Rows a shard gives the GEMMs of its smallest convolution output, at least (see <see cref="ShardImagesAtLeast"/>).</summary>
    internal const int ShardRows = 1024;

    /// <summary>Steps between the comparisons of the weights' checksum across processes.</summary>
    internal const int ChecksumInterval = 10;

    /// <summary>Whether training may use shards (tests compare with whole-batch steps).</summary>
    internal bool TrainInShards { get; set; } = true;

    /// <summary>The processes this model's training steps are shared with, or null for this process alone.</summary>
    internal IShardExchange? ShardExchange { get; set; }

    private Model[] _trainingReplicas = [];
    private bool? _shardsPossible;
    private ShardWork? _shardWork;
    private GradientSum? _gradientSum;
    private float[] _shardStatistics = [], _layerStatistics = [];
    private double[] _shardCounts = [];
    private float[][] _shardGradients = [];
    private int _statisticsLength = -1;

    /// <summary>
    /// The most shards trained at once (each by its own replica and thread), or null for one per worker thread: a
    /// memory budget lowers it. It changes how long a step takes, never its result.
    /// </summary>
    public int? ShardsInFlight
    {
        get => _shardsInFlight;
        set => _shardsInFlight = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"ShardsInFlight must be at least 1; got {value}");
    }

    private int? _shardsInFlight;

    /// <summary>The replicas that train the shards: one per worker thread, not one per shard.</summary>
    internal int TrainingReplicaCount => _trainingReplicas.Length;

    /// <summary>
    /// The fewest images a shard holds: <see cref="ShardImages"/>, doubled until the smallest convolution output
    /// gives <see cref="ShardRows"/> rows (airbench94's 3×3 maps: 128 images; resnet9's 4×4: 64; the tutorial's
    /// 13×13: 32). Shards of few rows pay their per-shard costs (packing, transforms, a thread's hand-over) on little
    /// work: airbench94 at batch 256 trained 1.03× faster in shards of 64 than of 32, and 1.03× again in shards of
    /// 128. From the architecture alone, as the bits require (a shard is also BatchNorm's ghost batch); benchmarks
    /// set others to compare.
    /// </summary>
    internal int ShardImagesAtLeast
    {
        get => _shardImagesAtLeast ??= ShardImagesFor(_nodes.Where(n => n.Layer is Conv2D).Select(n => _valueShapes[n.Output]));
        set => _shardImagesAtLeast = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"ShardImagesAtLeast must be at least 1; got {value}");
    }

    private int? _shardImagesAtLeast;

    /// <summary><see cref="ShardImagesAtLeast"/> for convolutions with output shapes <paramref name="outputs"/> (height, width, channels).</summary>
    internal static int ShardImagesFor(IEnumerable<Shape> outputs)
    {
        long pixels = outputs.Select(s => (long)s[0] * s[1]).DefaultIfEmpty(ShardRows).Min();
        int images = ShardImages;
        while (images * Math.Max(pixels, 1) < ShardRows) images *= 2;
        return images;
    }

    /// <summary>How many shards a training batch is cut into: 1 means a whole-batch step.</summary>
    internal int TrainingShards(int batch)
    {
        if (_nodes.Count == 0) return 1; // not built yet: nothing to decide from, and nothing cached
        _shardsPossible ??= !_isReplica && _inputs.Count == 1 && _nodes.All(n => n.Layer.TrainsInShards);
        return TrainInShards && _shardsPossible.Value ? Math.Clamp(batch / ShardImagesAtLeast, 1, MaxShards) : 1;
    }

    /// <summary>The samples of a batch of <paramref name="batch"/> this process trains: all of them unless the step is
    /// sharded over several processes.</summary>
    private (int First, int End) LocalSamples(int batch)
    {
        int shards = TrainingShards(batch);
        if (ShardExchange is not { } exchange || shards < 2) return (0, batch);
        var (first, count) = ShardRange.Of(exchange.Rank, exchange.Size, shards);
        return (ShardRange.FirstSample(batch, shards, first), ShardRange.FirstSample(batch, shards, first + count));
    }

    private bool TryTrainStepInShards(int batch, IStepObserver? observer, out (double LossSum, int Correct) result)
    {
        result = default;
        int shards = TrainingShards(batch);
        if (shards < 2) return false;
        var (first, count) = ShardExchange is { } exchange ? ShardRange.Of(exchange.Rank, exchange.Size, shards) : (0, shards);
        // One replica per worker thread, each training its shards in turn: the activations of a few shards are held at
        // once, not of every shard. A shard's result does not depend on the replica that trains it.
        int workers = Math.Clamp(Math.Min(Engine.Threads, _shardsInFlight ?? int.MaxValue), 1, Math.Max(count, 1));
        if (_trainingReplicas.Length < workers && !CreateTrainingReplicas(workers)) return false;
        if (_shardGradients.Length < count) _shardGradients = [.. _shardGradients, .. Enumerable.Range(0, count - _shardGradients.Length).Select(_ => new float[_gradients.Length])];
        PrepareShardStatistics(shards);
        var work = _shardWork ??= new ShardWork(this);
        observer?.Sliced(count, batch / shards);
        work.Start(batch, shards, first, count, workers, observer);
        WorkerPool.Shared.Run(work, workers);
        // Batch statistics, losses and gradients combined in shard order, whichever thread or process computed each.
        UpdateFromShardStatistics(shards);
        var (loss, correct) = SumShardCounts(work, shards, first, count);
        if (ShardExchange is { } group)
        {
            group.SumGradients(count == _shardGradients.Length ? _shardGradients : _shardGradients[..count], shards, _gradients);
        }
        else
        {
            // The gradient block in chunks across the pool, each element summed in the same order.
            var sum = _gradientSum ??= new GradientSum(this);
            sum.Shards = shards;
            WorkerPool.Shared.Run(sum, GradientSum.Chunks);
        }
        observer?.PartEnded(StepPart.GradientSum);
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        observer?.PartEnded(StepPart.Optimizer);
        result = (loss, (int)correct);
        return true;
    }

    /// <summary>The losses and correct counts of every shard, added in shard order.</summary>
    private (double Loss, double Correct) SumShardCounts(ShardWork work, int shards, int first, int count)
    {
        if (_shardCounts.Length != 2 * shards) _shardCounts = new double[2 * shards];
        var rows = _shardCounts;
        Array.Clear(rows);
        for (int s = 0; s < count; s++) (rows[2 * (first + s)], rows[2 * (first + s) + 1]) = (work.Loss[s], work.Correct[s]);
        ShardExchange?.ShareRows(rows);
        double loss = rows[0], correct = rows[1];
        for (int s = 1; s < shards; s++) (loss, correct) = (loss + rows[2 * s], correct + rows[2 * s + 1]);
        return (loss, correct);
    }

    /// <summary>Room for every shard's statistics (BatchNormalization's batch means and variances), cleared.</summary>
    private void PrepareShardStatistics(int shards)
    {
        if (_statisticsLength < 0) _statisticsLength = _nodes.Sum(n => n.Layer.ShardStatisticsLength);
        if (_statisticsLength == 0) return;
        if (_shardStatistics.Length != shards * _statisticsLength) _shardStatistics = new float[shards * _statisticsLength];
        Array.Clear(_shardStatistics);
    }

    /// <summary>Shard <paramref name="shard"/>'s statistics, as the replica that trained it left them.</summary>
    private void CaptureShardStatistics(Model replica, int shard)
    {
        int length = _statisticsLength, offset = 0;
        if (length == 0) return;
        foreach (var node in replica._nodes)
        {
            int n = node.Layer.ShardStatisticsLength;
            node.Layer.WriteShardStatistics(_shardStatistics.AsSpan(shard * length + offset, n));
            offset += n;
        }
    }

    /// <summary>Each layer's state moved once from every shard's statistics (BatchNormalization's moving statistics).</summary>
    private void UpdateFromShardStatistics(int shards)
    {
        int length = _statisticsLength;
        if (length == 0) return;
        ShardExchange?.ShareRows(_shardStatistics);
        int at = 0;
        if (_layerStatistics.Length < _shardStatistics.Length) _layerStatistics = new float[_shardStatistics.Length];
        var rows = _layerStatistics;
        foreach (var node in _nodes)
        {
            int n = node.Layer.ShardStatisticsLength;
            if (n == 0) continue;
            for (int s = 0; s < shards; s++) _shardStatistics.AsSpan(s * length + at, n).CopyTo(rows.AsSpan(s * n, n));
            node.Layer.UpdateFromShardStatistics(rows.AsSpan(0, shards * n), shards);
            at += n;
        }
    }

    /// <summary>Every few steps of a run shared by several processes, their weights compared by checksum.</summary>
    private void CheckSameWeights()
    {
        if (ShardExchange is not { } exchange || Optimizer is null || Optimizer.Iterations % ChecksumInterval != 0) return;
        ulong hash = 14695981039346656037UL;
        foreach (ulong word in MemoryMarshal.Cast<float, ulong>(_weights.AsSpan(0, _weights.Length & ~1)))
            hash = (hash ^ word) * 1099511628211UL;
        if ((_weights.Length & 1) != 0) hash = (hash ^ BitConverter.SingleToUInt32Bits(_weights[^1])) * 1099511628211UL;
        exchange.CheckSameWeights(hash, Optimizer.Iterations);
    }

    /// <summary>A training replica's gradients go to <paramref name="block"/> (the model's layout) from now on.</summary>
    private void PointGradientsAt(float[] block)
    {
        if (ReferenceEquals(_gradients, block)) return;
        _replicaWeights ??= [.. AllWeights];   // a replica's layers never change: listed once, not once a shard
        foreach (var p in _replicaWeights) p.PointGradientAt(block);
        _gradients = block;
    }

    private Parameter[]? _replicaWeights;

    private bool CreateTrainingReplicas(int count)
    {
        var replicas = new Model[count];
        try
        {
            for (int r = 0; r < count; r++)
            {
                if (r < _trainingReplicas.Length) { replicas[r] = _trainingReplicas[r]; continue; }
                var copy = CopyArchitecture();
                copy.Build(IsFunctional ? null : InputShape);
                var mine = AllWeights.ToList();
                var theirs = copy.AllWeights.ToList();
                // Values shared (the optimiser's step is seen by every replica), gradients each its own.
                for (int i = 0; i < mine.Count; i++) theirs[i].ShareValuesOf(mine[i]);
                foreach (var node in copy._nodes) node.Layer.InShardReplica = true;
                copy._weights = _weights;
                copy._weightsSettled = _weightsSettled;
                copy.Loss = Loss;
                copy.Seed = Seed;
                copy._isReplica = true;
                replicas[r] = copy;
            }
        }
        catch (Exception e) when (e is InvalidDataFileException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            _shardsPossible = false;
            return false;
        }
        _trainingReplicas = replicas;
        return true;
    }

    /// <summary>Chunk c of the gradient block: shard 0's gradients plus each later shard's, in shard order.</summary>
    private sealed class GradientSum(Model model) : IParallelWork
    {
        public const int Chunks = 8;
        public int Shards;

        public void Execute(int chunk)
        {
            int n = model._gradients.Length, start = (int)((long)n * chunk / Chunks), end = (int)((long)n * (chunk + 1) / Chunks);
            var sum = model._gradients.AsSpan(start, end - start);
            model._shardGradients[0].AsSpan(start, end - start).CopyTo(sum);
            for (int s = 1; s < Shards; s++)
                TensorPrimitives.Add(sum, model._shardGradients[s].AsSpan(start, end - start), sum);
        }
    }

    /// <summary>Worker w trains local shards w, w + workers, … (the batch's shards first + p) of the gathered samples
    /// through replica w: forward, loss reduced over the whole batch, backward, each shard's gradients kept apart; the
    /// first shard's parts reported to the step's observer, if any.</summary>
    private sealed class ShardWork(Model model) : IParallelWork
    {
        private int _batch, _shards, _first, _count, _workers;
        private IStepObserver? _observer;
        public double[] Loss = [];
        public int[] Correct = [];

        public void Start(int batch, int shards, int first, int count, int workers, IStepObserver? observer)
        {
            (_batch, _shards, _first, _count, _workers, _observer) = (batch, shards, first, count, workers, observer);
            if (Loss.Length < shards) (Loss, Correct) = (new double[shards], new int[shards]);
        }

        public void Execute(int worker)
        {
            for (int part = worker; part < _count; part += _workers) Train(model._trainingReplicas[worker], part);
        }

        private void Train(Model replica, int part)
        {
            int shard = _first + part;
            // The input buffer holds this process's samples from its first shard's first sample on.
            int offset = ShardRange.FirstSample(_batch, _shards, _first);
            int first = ShardRange.FirstSample(_batch, _shards, shard) - offset;
            int count = ShardRange.FirstSample(_batch, _shards, shard + 1) - offset - first;
            int inSize = (int)model.InputShape.Size;
            replica.EnsureCapacity(count);
            model.InputBuffer.AsSpan(first * inSize, count * inSize).CopyTo(replica.InputBuffer);
            model._batchLabels.AsSpan(first, count).CopyTo(replica._batchLabels);
            model.CopyMixTo(replica, first, count);
            var observer = part == 0 ? _observer : null;
            // The replica's backward pass sums into the shard's own block (no copy of it afterwards).
            var gradients = model._shardGradients[part];
            replica.PointGradientsAt(gradients);
            Array.Clear(gradients);
            observer?.PartEnded(StepPart.ZeroGradients);
            replica.ForwardPass(count, training: true, observer: observer, stepSeed: model.StepSeed, shard: shard);
            Loss[part] = replica.LossAndGradient(count, withGradient: true, reducedOver: _batch);
            Correct[part] = replica.CountCorrect(count);
            observer?.PartEnded(StepPart.Loss);
            replica.BackwardPass(count, observer);
            model.CaptureShardStatistics(replica, shard);
        }
    }
}
