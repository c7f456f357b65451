using System.Diagnostics;
using System.Numerics.Tensors;
using Fovea.Models;

namespace Fovea.Distributed;

/// <summary>
/// A training step's exchange between processes, in shard order. The gradients are reduce-scattered by element
/// chunks through one all-to-all (process q receives every shard's values of chunk q, ordered by rank and so by
/// shard, and adds them shard after shard exactly as a single process adds its shards), then all-gathered. Losses,
/// correct counts and BatchNorm's shard statistics travel as rows that only their owner fills: an MPI sum of one
/// value and zeros is that value, whatever order MPI adds in.
/// The time in these calls is counted in two parts: the first call of a step is where a process waits for the slowest
/// to finish its shards (every process must enter it), so its time is the wait; the later calls, made by processes
/// already together, are the communication itself. The bytes each process sends are counted too.
/// </summary>
internal sealed class MpiShardExchange(IMessagePassing mpi) : IShardExchange
{
    private float[] _send = [], _receive = [];
    private int[] _sendCounts = [], _sendOffsets = [], _receiveCounts = [], _receiveOffsets = [], _chunkCounts = [], _chunkOffsets = [];
    private readonly Stopwatch _clock = new(), _waitClock = new();
    private bool _stepBegun;

    public int Rank => mpi.Rank;

    public int Size => mpi.Size;

    /// <summary>Time spent moving data between processes that were all ready: the exchange's MPI calls after the
    /// first of each step.</summary>
    public TimeSpan CommunicationTime => _clock.Elapsed;

    /// <summary>Time spent waiting for the other processes to finish their shards: the first call of each step.</summary>
    public TimeSpan WaitTime => _waitClock.Elapsed;

    /// <summary>Bytes this process has handed to MPI for the others (the payload, not the protocol's own).</summary>
    public long BytesSent { get; private set; }

    /// <summary>The clock a step's next call runs on, started.</summary>
    private Stopwatch Begin()
    {
        var clock = _stepBegun ? _clock : _waitClock;
        _stepBegun = true;
        clock.Start();
        return clock;
    }

    public void SumGradients(IReadOnlyList<float[]> local, int shards, float[] total)
    {
        var clock = Begin();
        int p = Size, n = total.Length;
        var (first, count) = ShardRange.Of(Rank, p, shards);
        LayOut(n, shards, count);
        for (int q = 0, at = 0; q < p; q++)
            for (int s = 0; s < count; s++, at += _chunkCounts[q])
                local[s].AsSpan(_chunkOffsets[q], _chunkCounts[q]).CopyTo(_send.AsSpan(at));
        mpi.AllToAll(_send, _sendCounts, _sendOffsets, _receive, _receiveCounts, _receiveOffsets);
        int mine = _chunkCounts[Rank];
        var sum = total.AsSpan(_chunkOffsets[Rank], mine);
        _receive.AsSpan(0, mine).CopyTo(sum);
        for (int s = 1; s < shards; s++) TensorPrimitives.Add(sum, _receive.AsSpan(s * mine, mine), sum);
        mpi.AllGather(total, _chunkOffsets[Rank], mine, _chunkCounts, _chunkOffsets);
        clock.Stop();
        // The gradient sum is a step's last exchange: the next call is the next step's first.
        _stepBegun = false;
        BytesSent += sizeof(float) * ((long)count * (n - mine) + (long)mine * (p - 1));
    }

    /// <summary>The chunks of an <paramref name="n"/>-value block, and what goes to and comes from each process.</summary>
    private void LayOut(int n, int shards, int count)
    {
        int p = Size;
        if (_chunkCounts.Length != p)
            (_chunkCounts, _chunkOffsets, _sendCounts, _sendOffsets, _receiveCounts, _receiveOffsets) = (new int[p], new int[p], new int[p], new int[p], new int[p], new int[p]);
        for (int q = 0; q < p; q++)
        {
            _chunkOffsets[q] = (int)((long)n * q / p);
            _chunkCounts[q] = (int)((long)n * (q + 1) / p) - _chunkOffsets[q];
        }
        int mine = _chunkCounts[Rank];
        for (int q = 0, sent = 0, received = 0; q < p; q++)
        {
            (_sendOffsets[q], _sendCounts[q]) = (sent, count * _chunkCounts[q]);
            var (_, theirs) = ShardRange.Of(q, p, shards);
            (_receiveOffsets[q], _receiveCounts[q]) = (received, theirs * mine);
            sent += _sendCounts[q];
            received += _receiveCounts[q];
        }
        if (_send.Length < count * n) _send = new float[count * n];
        if (_receive.Length < shards * mine) _receive = new float[shards * mine];
    }

    public void ShareRows(double[] perShard)
    {
        var clock = Begin();
        mpi.SumInPlace(perShard);
        clock.Stop();
        if (Size > 1) BytesSent += sizeof(double) * (long)perShard.Length;
    }

    public void ShareRows(float[] perShard)
    {
        var clock = Begin();
        mpi.SumInPlace(perShard);
        clock.Stop();
        if (Size > 1) BytesSent += sizeof(float) * (long)perShard.Length;
    }

    public void CheckSameWeights(ulong checksum, long step)
    {
        _clock.Start();
        var all = mpi.GatherOne(checksum);
        _clock.Stop();
        if (Size > 1) BytesSent += sizeof(ulong);
        for (int q = 1; q < all.Length; q++)
            if (all[q] != all[0])
                throw new FoveaException($"the processes' weights differ after step {step} (process {q}'s checksum {all[q]:x16}, process 0's {all[0]:x16}): the job stopped, as its results could no longer be trusted");
    }
}
