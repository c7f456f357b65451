namespace Fovea.Models;

/// <summary>
/// The processes a data-parallel training step is shared by. Shards are numbered over the whole batch and given to
/// the processes in contiguous runs in rank order (<see cref="ShardRange"/>); every exchange puts the shards back in
/// shard order, so that each process ends the step with exactly the numbers a single process would have.
/// </summary>
internal interface IShardExchange
{
    /// <summary>This process's number, from 0.</summary>
    int Rank { get; }

    /// <summary>How many processes share the steps.</summary>
    int Size { get; }

    /// <summary>
    /// Writes into <paramref name="total"/> the sum over every shard of the batch of its gradient block, formed in
    /// shard order (shard 0's block, plus shard 1's, …) whichever process computed each. <paramref name="local"/>
    /// holds this process's shards' blocks, shard <see cref="ShardRange"/>'s first one first.
    /// </summary>
    void SumGradients(IReadOnlyList<float[]> local, int shards, float[] total);

    /// <summary>Fills every process's <paramref name="perShard"/> (rows of equal length, one per shard) with every
    /// process's rows: on entry each process has filled its own shards' rows and left the others zero.</summary>
    void ShareRows(double[] perShard);

    /// <inheritdoc cref="ShareRows(double[])"/>
    void ShareRows(float[] perShard);

    /// <summary>Stops the job with a clear error unless every process has the same <paramref name="checksum"/> of its
    /// weights after <paramref name="step"/>.</summary>
    void CheckSameWeights(ulong checksum, long step);
}

/// <summary>Which shards each process of an <see cref="IShardExchange"/> trains.</summary>
internal static class ShardRange
{
    /// <summary>The first shard of process <paramref name="rank"/> of <paramref name="size"/>, and how many it trains.</summary>
    public static (int First, int Count) Of(int rank, int size, int shards)
    {
        int first = (int)((long)shards * rank / size), end = (int)((long)shards * (rank + 1) / size);
        return (first, end - first);
    }

    /// <summary>The first sample of shard <paramref name="shard"/> of <paramref name="shards"/> in a batch of <paramref name="batch"/>.</summary>
    public static int FirstSample(int batch, int shards, int shard) => (int)((long)batch * shard / shards);
}
