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

    private sealed class Counter : IParallelWork
    {
        private int _parts;
        public int Parts => _parts;
        public void Execute(int part) => Interlocked.Increment(ref _parts);
    }
}
