namespace Fovea.Kernels;

/// <summary>
/// A fixed set of worker threads that run the parts of an <see cref="IParallelWork"/>; the calling thread works too.
/// Unlike <c>Parallel.For</c> it allocates nothing per call, which keeps a training step allocation-free.
/// Each thread first runs its own contiguous share of the parts, in order, then takes parts from the far end of the
/// others' shares: consecutive kernels that cut the same rows the same way find them in the cache of the core that
/// wrote them (at batch 1 on two cores, airbench94's layers handed half their activations across cores when parts
/// went to whichever thread came first: about 4% of a pass), and a thread slowed by a neighbour still leaves its
/// remaining parts to the others. Each part's result stays the same whichever thread computes it (determinism needs
/// fixed parts, not fixed threads).
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static readonly Lock SharedLock = new();
    private static WorkerPool? _shared;

    // Parts this thread is running, across all pools. A Run from inside a part (a kernel called by a parallel
    // layer) runs its parts inline: waiting for the pool from one of its own parts would deadlock a worker,
    // and re-entering the caller's lock would overwrite the run in progress.
    [ThreadStatic] private static int t_partDepth;

    private readonly Thread[] _threads;
    private readonly Lock _run = new();
    // Events that never spin themselves (spinCount 0): the pool spins on its own terms, with PAUSE and no system
    // calls, then blocks. SemaphoreSlim and CountdownEvent spin with Thread.Yield, which on a busy machine hands
    // the core to any other process, niced or not: a training run next to a compiler ran at 40% of one core.
    private readonly ManualResetEventSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false, 0);
    private int _pending;
    private int _helpersInRun;

    /// <summary>How long a waiting thread spins before it blocks: longer than the gap between two kernels of a step,
    /// including the single-threaded steps of a batch-1 pass (a blocked worker takes tens of µs to wake). ResNet-18 at
    /// batch 1 against ONNX Runtime (which spins too), alternating: 400 µs ×1.081 and ×1.064, 50 µs ×1.042 and ×1.033;
    /// the tutorial's training speed did not change beyond the noise (2026-12-07, Zen 5).</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 2_500; // 400 µs
    private IParallelWork? _work;
    private int _parts;
    private Exception? _error;
    private volatile bool _disposed;

    /// <summary>A pool that runs work on <paramref name="threads"/> threads: the caller's and threads − 1 helpers.</summary>
    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"threads must be at least 1; got {threads}");
        Threads = threads;
        _threads = new Thread[threads - 1];
        _start = new ManualResetEventSlim[threads - 1];
        _ranges = new long[threads * 8];
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i;
            _start[i] = new ManualResetEventSlim(false, 0);
            _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"fovea-worker-{i + 1}" };
            _threads[i].Start();
        }
        // The first Wait that blocks makes the event's lock object (24 bytes) on the calling thread: make it here, so a
        // run that blocks for the first time on a busy machine does not allocate in a steady-state training step
        // (the allocation tests saw exactly those 24 bytes now and then). Costs one 1 ms timeout per pool.
        _done.Wait(1);
    }

    /// <summary>Threads that run a piece of work, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>The pool sized by <see cref="Engine.Threads"/>; rebuilt when that setting changes.</summary>
    public static WorkerPool Shared
    {
        get
        {
            var pool = _shared;
            if (pool is not null && pool.Threads == Engine.Threads) return pool;
            lock (SharedLock)
            {
                if (_shared is null || _shared.Threads != Engine.Threads)
                {
                    _shared?.Dispose();
                    _shared = new WorkerPool(Engine.Threads);
                }
                return _shared;
            }
        }
    }

    /// <summary>Runs parts 0..parts-1 of <paramref name="work"/> and returns when all are done.</summary>
    public void Run(IParallelWork work, int parts)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (parts <= 0) return;
        int helpers = t_partDepth > 0 ? 0 : Math.Min(_threads.Length, parts - 1);
        if (helpers == 0)
        {
            RunInline(work, parts);
            return;
        }
        lock (_run)
        {
            // Engine.Threads changed and Shared replaced this pool after the caller fetched it: its workers are gone.
            if (_disposed)
            {
                RunInline(work, parts);
                return;
            }
            _work = work;
            _parts = parts;
            _error = null;
            _helpersInRun = helpers;
            for (int t = 0; t <= helpers; t++)
                _ranges[Slot(t)] = ((long)(parts * t / (helpers + 1)) << 32) | (uint)(parts * (t + 1) / (helpers + 1));
            Volatile.Write(ref _pending, helpers + 1);
            for (int i = 0; i < helpers; i++) _start[i].Set();
            Drain(0);
            // The last thread to finish sets _done; wait for that set (spinning first) and consume it.
            SpinUntil(_done);
            _done.Wait();
            _done.Reset();
            _work = null;
            if (_error is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_error).Throw();
        }
    }

    // Per participant (the caller 0, helper i at i + 1): its remaining share of the parts as head << 32 | tail, one
    // 64-bit word so that the owner taking the head and a thief taking the tail can never both get the last part.
    private readonly long[] _ranges;

    private static int Slot(int participant) => participant * 8;   // a cache line apart

    private int TakeOwn(int participant)
    {
        ref long range = ref _ranges[Slot(participant)];
        while (true)
        {
            long r = Volatile.Read(ref range);
            int head = (int)(r >> 32), tail = (int)r;
            if (head >= tail) return -1;
            if (Interlocked.CompareExchange(ref range, ((long)(head + 1) << 32) | (uint)tail, r) == r) return head;
        }
    }

    private int Steal(int participant)
    {
        ref long range = ref _ranges[Slot(participant)];
        while (true)
        {
            long r = Volatile.Read(ref range);
            int head = (int)(r >> 32), tail = (int)r;
            if (head >= tail) return -1;
            if (Interlocked.CompareExchange(ref range, ((long)head << 32) | (uint)(tail - 1), r) == r) return tail - 1;
        }
    }

    private static void RunInline(IParallelWork work, int parts)
    {
        t_partDepth++;
        try
        {
            for (int p = 0; p < parts; p++) work.Execute(p);
        }
        finally { t_partDepth--; }
    }

    private void Drain(int participant)
    {
        t_partDepth++;
        try
        {
            int n = _helpersInRun + 1, p;
            while ((p = TakeOwn(participant)) >= 0) _work!.Execute(p);
            for (int k = 1; k < n; k++)
            {
                int other = (participant + k) % n;
                while ((p = Steal(other)) >= 0) _work!.Execute(p);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            for (int t = 0; t <= _helpersInRun; t++) Interlocked.Exchange(ref _ranges[Slot(t)], 0);   // no more parts for anyone
        }
        finally
        {
            t_partDepth--;
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }

    /// <summary>Spins with PAUSE (no system call, no yield) until the event is set or the spin time is up.</summary>
    private static void SpinUntil(ManualResetEventSlim e)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!e.IsSet && System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks) Thread.SpinWait(20);
    }

    private void WorkerLoop(int index)
    {
        var start = _start[index];
        while (true)
        {
            SpinUntil(start);
            start.Wait();
            start.Reset();
            if (_disposed) return;
            Drain(index + 1);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Under the run lock: a run in progress keeps its helpers until its parts are done (before, a pool
        // disposed mid-run let woken workers exit without signalling, and the run waited forever).
        lock (_run)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var start in _start) start.Set();
        }
    }
}
