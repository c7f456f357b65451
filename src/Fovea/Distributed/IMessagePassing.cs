namespace Fovea.Distributed;

/// <summary>
/// The few collective operations data-parallel training needs, over all the processes of the job, in the terms of
/// MPI. Small on purpose: an MPI library whose handles are integers (MPICH) can sit behind it as well as Open MPI,
/// whose handles are the addresses of exported globals. Every call is collective: all processes make it, in the same
/// order, with matching sizes.
/// </summary>
internal interface IMessagePassing : IDisposable
{
    /// <summary>This process's number, from 0.</summary>
    int Rank { get; }

    /// <summary>How many processes the job has.</summary>
    int Size { get; }

    /// <summary>MPI_Alltoallv of floats: block q of <paramref name="send"/> (<paramref name="sendCounts"/>[q] values from
    /// <paramref name="sendOffsets"/>[q]) goes to process q, and process q's block for this one lands in
    /// <paramref name="receive"/> at <paramref name="receiveOffsets"/>[q].</summary>
    void AllToAll(float[] send, int[] sendCounts, int[] sendOffsets, float[] receive, int[] receiveCounts, int[] receiveOffsets);

    /// <summary>MPI_Allgatherv of floats: every process's <paramref name="count"/> values from <paramref name="offset"/> of
    /// <paramref name="buffer"/> are copied into every process's <paramref name="buffer"/> at <paramref name="offsets"/>[q].</summary>
    void AllGather(float[] buffer, int offset, int count, int[] counts, int[] offsets);

    /// <summary>MPI_Allreduce with MPI_SUM, in place.</summary>
    void SumInPlace(double[] values);

    /// <inheritdoc cref="SumInPlace(double[])"/>
    void SumInPlace(float[] values);

    /// <summary>MPI_Allgather of one number per process.</summary>
    ulong[] GatherOne(ulong value);

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort).</summary>
    void Abort(int exitCode);
}
