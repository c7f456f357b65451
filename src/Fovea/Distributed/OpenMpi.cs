using System.Runtime.InteropServices;

namespace Fovea.Distributed;

/// <summary>
/// Open MPI's C interface through P/Invoke into the system's libmpi (libmpi.so.40, Debian's openmpi-bin and
/// libopenmpi-dev). Its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM …) are the addresses of exported globals such
/// as <c>ompi_mpi_comm_world</c>, read once with <see cref="NativeLibrary.GetExport"/>. Errors return codes
/// (MPI_ERRORS_RETURN) that become <see cref="FoveaException"/>s, rather than aborting inside the library.
/// </summary>
internal sealed unsafe class OpenMpi : IMessagePassing
{
    /// <summary>The library's file name, as the dynamic loader finds it.</summary>
    public const string Library = "libmpi.so.40";

    private const int ThreadSerialized = 2;

    private readonly nint _library, _world, _float, _double, _uint64, _sum;
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<void*, void*, void*, nint, void*, void*, void*, nint, nint, int> _alltoallv;
    private readonly delegate* unmanaged<void*, int, nint, void*, void*, void*, nint, nint, int> _allgatherv;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> _allgather;
    private bool _disposed;

    private OpenMpi(nint library)
    {
        _library = library;
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _uint64 = Export("ompi_mpi_uint64_t");
        _sum = Export("ompi_mpi_op_sum");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        _alltoallv = (delegate* unmanaged<void*, void*, void*, nint, void*, void*, void*, nint, nint, int>)Export("MPI_Alltoallv");
        _allgatherv = (delegate* unmanaged<void*, int, nint, void*, void*, void*, nint, nint, int>)Export("MPI_Allgatherv");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        var setErrorHandler = (delegate* unmanaged<nint, nint, int>)Export("MPI_Comm_set_errhandler");
        var rank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        var size = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");

        int provided;
        Check(_initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        Check(setErrorHandler(_world, Export("ompi_mpi_errors_return")), "MPI_Comm_set_errhandler");
        int r, s;
        Check(rank(_world, &r), "MPI_Comm_rank");
        Check(size(_world, &s), "MPI_Comm_size");
        (Rank, Size) = (r, s);
    }

    /// <summary>Initialises MPI in this process, or returns null when Open MPI's library cannot be loaded.</summary>
    public static OpenMpi? TryStart()
    {
        if (!NativeLibrary.TryLoad(Library, out nint library)) return null;
        if (!NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _)) return null;
        return new OpenMpi(library);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    private nint Export(string name) => NativeLibrary.GetExport(_library, name);

    private static void Check(int code, string call)
    {
        if (code != 0) throw new FoveaException($"{call} failed with MPI error {code}: a process of the job has probably stopped");
    }

    /// <inheritdoc/>
    public void AllToAll(float[] send, int[] sendCounts, int[] sendOffsets, float[] receive, int[] receiveCounts, int[] receiveOffsets)
    {
        fixed (float* s = send)
        fixed (float* r = receive)
        fixed (int* sc = sendCounts)
        fixed (int* so = sendOffsets)
        fixed (int* rc = receiveCounts)
        fixed (int* ro = receiveOffsets)
            Check(_alltoallv(s, sc, so, _float, r, rc, ro, _float, _world), "MPI_Alltoallv");
    }

    /// <inheritdoc/>
    public void AllGather(float[] buffer, int offset, int count, int[] counts, int[] offsets)
    {
        // MPI_IN_PLACE (Open MPI's is 1): this process's block is already where the gathered copy goes.
        fixed (float* b = buffer)
        fixed (int* c = counts)
        fixed (int* o = offsets)
            Check(_allgatherv((void*)1, 0, _float, b, c, o, _float, _world), "MPI_Allgatherv");
    }

    /// <inheritdoc/>
    public void SumInPlace(double[] values)
    {
        fixed (double* v = values) Check(_allreduce((void*)1, v, values.Length, _double, _sum, _world), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    public void SumInPlace(float[] values)
    {
        fixed (float* v = values) Check(_allreduce((void*)1, v, values.Length, _float, _sum, _world), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    public ulong[] GatherOne(ulong value)
    {
        var all = new ulong[Size];
        fixed (ulong* a = all) Check(_allgather(&value, 1, _uint64, a, 1, _uint64, _world), "MPI_Allgather");
        return all;
    }

    /// <inheritdoc/>
    public void Abort(int exitCode) => _abort(_world, exitCode);

    /// <summary>Finalises MPI (every process must, once its last collective call is made).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int done;
        if (_finalized(&done) == 0 && done == 0) _finalize();
    }
}
