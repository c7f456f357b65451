using Fovea.Kernels;
using Fovea.Tests.Models;

namespace Fovea.Tests.Kernels;

[Collection(EngineSettingsCollection.Name)]
public class WorkerPoolTests
{
    [Fact]
    public void AOneThreadPoolDisposesCleanly()
    {
        var pool = new WorkerPool(1);
        pool.Dispose();
        pool.Dispose();
    }

    [Fact]
    public void ChangingEngineThreadsRebuildsTheSharedPool()
    {
        var counter = new Counter();
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            using var _ = new EngineThreads(threads);
            Assert.Equal(threads, WorkerPool.Shared.Threads);
            WorkerPool.Shared.Run(counter, 10);
        }
        Assert.Equal(40, counter.Parts);
    }

    /// <summary>Every part runs exactly once, for part counts below, at and above the thread count, including when
    /// one thread's share is slow and the others take parts from it.</summary>
    [Theory]
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    [InlineData(3, 7)]
    [InlineData(4, 64)]
    public void Every_part_runs_once_and_a_slow_share_is_taken_over(int threads, int parts)
    {
        using var pool = new WorkerPool(threads);
        for (int round = 0; round < 20; round++)
        {
            using var work = new Recorder(parts, slowPart: round % 2 == 0 ? 0 : parts - 1);
            pool.Run(work, parts);
            Assert.All(work.Runs, r => Assert.Equal(1, r));
            Assert.True(work.TakenOver, "the other parts did not run while the slow part waited");
        }
        // Part 0 belongs to the caller's share; when it is slow, its other parts go to the helpers.
        using var slow = new Recorder(64, slowPart: 0);
        pool.Run(slow, 64);
        Assert.Contains(slow.Threads.Take(16), id => id != Environment.CurrentManagedThreadId);
    }

    /// <summary>A part that throws stops the run: the exception reaches the caller and the pool keeps working.</summary>
    [Fact]
    public void A_throwing_part_reaches_the_caller()
    {
        using var pool = new WorkerPool(2);
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Run(new Thrower(), 16));
        Assert.Equal("part 5", ex.Message);
        var counter = new Counter();
        pool.Run(counter, 9);
        Assert.Equal(9, counter.Parts);
    }

    /// <summary>Records which thread ran each part. The slow part waits until every other part has run, so the
    /// parts of its thread's share can only have been taken over by the other threads, whatever the scheduling; a long
    /// failsafe keeps a pool that never hands them over from hanging the suite, and the test then fails.</summary>
    private sealed class Recorder(int parts, int slowPart) : IParallelWork, IDisposable
    {
        private static readonly TimeSpan Failsafe = TimeSpan.FromSeconds(60);
        private readonly ManualResetEventSlim _othersDone = new(parts == 1);
        private int _others;

        public int[] Runs { get; } = new int[parts];
        public int[] Threads { get; } = new int[parts];
        public bool TakenOver { get; private set; } = true;

        public void Execute(int part)
        {
            if (part == slowPart) TakenOver = _othersDone.Wait(Failsafe);
            Threads[part] = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref Runs[part]);
            if (part != slowPart && Interlocked.Increment(ref _others) == parts - 1) _othersDone.Set();
        }

        public void Dispose() => _othersDone.Dispose();
    }

    private sealed class Thrower : IParallelWork
    {
        public void Execute(int part)
        {
            if (part == 5) throw new InvalidOperationException("part 5");
        }
    }

    private sealed class Counter : IParallelWork
    {
        private int _parts;
        public int Parts => _parts;
        public void Execute(int part) => Interlocked.Increment(ref _parts);
    }
}
