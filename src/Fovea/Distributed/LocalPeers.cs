using System.Globalization;

namespace Fovea.Distributed;

/// <summary>
/// Every process of the job by machine and process id, learnt once when the job starts, so that a process told to stop
/// by Open MPI's launcher (which sends SIGTERM to the others when one dies) can say which one died. Only the machine's
/// own processes can be looked at: one that died on another machine goes unnamed.
/// </summary>
public sealed class LocalPeers
{
    private readonly ulong[] _machines;
    private readonly int[] _processIds;
    private readonly ulong _machine;

    internal LocalPeers(int rank, ulong[] machines, ulong[] processIds)
    {
        (Rank, _machines, _processIds, _machine) = (rank, machines, [.. processIds.Select(id => (int)id)], machines[rank]);
    }

    /// <summary>This process's number.</summary>
    public int Rank { get; }

    /// <summary>What identifies this machine among the job's: a hash of its name.</summary>
    internal static ulong MachineId()
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in Environment.MachineName) hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }

    /// <summary>Process <paramref name="rank"/>'s id.</summary>
    public int ProcessId(int rank) => _processIds[rank];

    /// <summary>The processes of this machine that no longer run (gone, or a zombie not yet reaped), by rank.</summary>
    public IReadOnlyList<int> Dead() =>
        [.. Enumerable.Range(0, _machines.Length).Where(r => r != Rank && _machines[r] == _machine && !Alive(_processIds[r]))];

    /// <summary>Whether this process is the one to report <paramref name="dead"/>: the lowest-numbered live process of
    /// this machine, so that the job says it once.</summary>
    public bool Reports(IReadOnlyList<int> dead) =>
        Enumerable.Range(0, _machines.Length).First(r => _machines[r] == _machine && !dead.Contains(r)) == Rank;

    /// <summary>Linux's view of a process: its <c>/proc</c> entry, whose state after the name is Z or X once it has exited.</summary>
    private static bool Alive(int processId)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
            int end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length || stat[end + 2] is not ('Z' or 'X' or 'x');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}
