namespace Fovea.Tests.Models;

/// <summary>
/// Bytes a repeated step allocates, on the calling thread and in the whole process. The whole process is counted
/// over several windows and the quietest one kept: the test host serialises earlier tests' results on its own threads
/// now and then (tens of kilobytes in one window), while an allocation in the step itself shows up in every window.
/// The calling thread's count is exact, so its worst window is kept.
/// </summary>
internal static class AllocationMeter
{
    /// <summary>Runs <paramref name="step"/> <paramref name="steps"/> times in each of <paramref name="windows"/>
    /// windows: the calling thread's bytes in the worst window, the process's in the quietest.</summary>
    public static (long Caller, long All) Measure(Action step, int steps, int windows = 3)
    {
        long worstCaller = 0, quietestAll = long.MaxValue;
        for (int window = 0; window < windows; window++)
        {
            long all = GC.GetTotalAllocatedBytes(precise: true), caller = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < steps; i++) step();
            worstCaller = Math.Max(worstCaller, GC.GetAllocatedBytesForCurrentThread() - caller);
            quietestAll = Math.Min(quietestAll, GC.GetTotalAllocatedBytes(precise: true) - all);
        }
        return (worstCaller, quietestAll);
    }
}
