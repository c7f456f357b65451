using Fovea.Models;

namespace Fovea.Distributed;

/// <summary>
/// The processes of an MPI job (<c>mpirun -np P …</c>) that train one model together, data-parallel: each trains
/// its run of the batch's shards and the sums are formed in shard order, so the weights are those of a single
/// process, bit for bit, for any number of processes. Process 0 is the leader: it alone prints and writes files.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    /// <summary>Set by the launcher for every process of an Open MPI job.</summary>
    private const string OpenMpiRankVariable = "OMPI_COMM_WORLD_RANK";

    private readonly IMessagePassing _mpi;
    private readonly MpiShardExchange _exchange;

    private ProcessGroup(IMessagePassing mpi)
    {
        (_mpi, _exchange) = (mpi, new MpiShardExchange(mpi));
        Peers = new LocalPeers(mpi.Rank, mpi.GatherOne(LocalPeers.MachineId()), mpi.GatherOne((ulong)Environment.ProcessId));
    }

    /// <summary>
    /// Joins the MPI job this process was started in (a process started without mpirun is a job of one). Throws a
    /// <see cref="FoveaUsageException"/> when the system has no Open MPI library.
    /// </summary>
    public static ProcessGroup Join()
    {
        // Waiting processes give their core away instead of polling, so that the kernels keep both (Open MPI reads
        // its MCA parameters from the environment when MPI starts); the user's own setting wins.
        if (Environment.GetEnvironmentVariable("OMPI_MCA_mpi_yield_when_idle") is null)
            Environment.SetEnvironmentVariable("OMPI_MCA_mpi_yield_when_idle", "1");
        var mpi = OpenMpi.TryStart()
            ?? throw new FoveaUsageException($"--distributed needs Open MPI ({OpenMpi.Library} was not found): install openmpi-bin and libopenmpi-dev (Debian) and launch with mpirun -np P fovea train --distributed …");
        return new ProcessGroup(mpi);
    }

    /// <summary>Whether this process was started by Open MPI's launcher.</summary>
    public static bool Launched => Environment.GetEnvironmentVariable(OpenMpiRankVariable) is not null;

    /// <summary>This process's number, from 0.</summary>
    public int Rank => _mpi.Rank;

    /// <summary>How many processes train together.</summary>
    public int Size => _mpi.Size;

    /// <summary>The job's processes by machine and process id: which of this machine's have died.</summary>
    public LocalPeers Peers { get; }

    /// <summary>Whether this is process 0, which prints and writes the run's files.</summary>
    public bool IsLeader => Rank == 0;

    /// <summary>Time this process has spent exchanging gradients, statistics and checksums with processes that were
    /// ready, so far.</summary>
    public TimeSpan CommunicationTime => _exchange.CommunicationTime;

    /// <summary>Time this process has spent waiting for slower processes to reach a step's exchange, so far.</summary>
    public TimeSpan WaitTime => _exchange.WaitTime;

    /// <summary>Bytes of gradients, statistics and checksums this process has sent to the others, so far.</summary>
    public long BytesSent => _exchange.BytesSent;

    /// <summary>Makes <paramref name="model"/>'s training steps shared by the group's processes (every process must
    /// share the same model, built and compiled alike).</summary>
    public void Share(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ShardExchange = _exchange;
    }

    /// <summary>Sums <paramref name="values"/> over the processes, in place (every process calls it).</summary>
    internal void Share(double[] values) => _mpi.SumInPlace(values);

    /// <summary>Ends every process of the job at once, with <paramref name="exitCode"/>: for a process that cannot go
    /// on while the others wait for it in a collective call.</summary>
    public void Abort(int exitCode) => _mpi.Abort(exitCode);

    /// <summary>Leaves the job (MPI_Finalize).</summary>
    public void Dispose() => _mpi.Dispose();
}
