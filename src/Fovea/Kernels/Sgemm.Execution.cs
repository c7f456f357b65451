namespace Fovea.Kernels;

/// <summary>How a validated call is split over the worker pool, and the calls into the driver at this CPU's width.</summary>
public static unsafe partial class Sgemm
{
    [ThreadStatic] private static SgemmWork? t_work;

    private static void Execute(in GemmArgs g, int threads, KernelOptions options)
    {
        ref readonly var op = ref g.Operands;
        int nr = NR;
        int rowUnit = g.Blocking.RowTile > 0 ? g.Blocking.RowTile : MR;
        int panelsM = (op.M + rowUnit - 1) / rowUnit, panelsN = (op.N + nr - 1) / nr;
        long macs = (long)op.M * op.N * op.K;
        // A call from inside a pool part still splits the same way; the pool then runs the parts inline.
        if (threads > 1 && macs >= options.ParallelMinMacs)
        {
            // M when it has enough rows for parts of MinPanelsPerMPart MR-row panels, else the axis that divides most
            // evenly over the threads; on a tie, M (each part then reads only its rows of A). Parts of an N split write
            // the same rows of C side by side, and unless C's rows start on cache lines, two threads write into shared
            // lines. Each M part packs all of B again, so M parts keep at least that many rows, unless B comes packed.
            int minUnits = Math.Max(1, (op.PackedB != null ? options.MinPanelsPerPackedMPart : options.MinPanelsPerMPart) * MR / rowUnit);
            bool splitM = panelsM >= threads * minUnits || Balance(panelsM, threads) >= Balance(panelsN, threads);
            int panels = splitM ? panelsM : panelsN;
            // More parts than threads, when the shape allows, so that a thread slowed by a neighbour on this
            // shared machine (or woken late) leaves its remaining parts to the others. N parts share A, read in place,
            // for free.
            int capacity = splitM ? panels / minUnits : panels;
            int parts = Math.Min(threads * options.PartsPerThread, capacity) / threads * threads;   // whole rounds
            parts = Math.Min(Math.Max(parts, threads), panels);
            if (parts > 1)
            {
                var work = t_work ??= new SgemmWork();
                work.Set(in g, splitM, panels, parts, options.PrivateCMaxFloats);
                try { WorkerPool.Shared.Run(work, parts); }
                finally { work.Clear(); }
                return;
            }
        }
        RunBlock(in g, 0, op.M, 0, op.N, options.PrivateCMaxFloats);
    }

    /// <summary>Mean part size over the largest when <paramref name="panels"/> are dealt into <paramref name="parts"/>: 1 is perfectly even.</summary>
    private static double Balance(int panels, int parts) => (double)panels / (parts * ((panels + parts - 1) / parts));

    private static void RunBlock(in GemmArgs g, int i0, int i1, int j0, int j1, int privateCMaxFloats)
    {
        var block = new BlockWork(in g, i0, i1, j0, j1, privateCMaxFloats);
        CpuPath.Run(ref block);
    }

    /// <summary>Part p of a parallel call: a contiguous run of whole MR-row (or NR-column) panels.</summary>
    private sealed class SgemmWork : IParallelWork
    {
        private GemmArgs _g;
        private bool _splitM;
        private int _panels, _parts, _privateCMaxFloats;

        public void Set(in GemmArgs g, bool splitM, int panels, int parts, int privateCMaxFloats)
        {
            _g = g;
            _splitM = splitM;
            _panels = panels;
            _parts = parts;
            _privateCMaxFloats = privateCMaxFloats;
        }

        public void Clear() => _g = default;

        public void Execute(int part)
        {
            int first = (int)((long)_panels * part / _parts), end = (int)((long)_panels * (part + 1) / _parts);
            int unit = _g.Blocking.RowTile > 0 ? _g.Blocking.RowTile : MR;
            int m = _g.Operands.M, n = _g.Operands.N;
            if (_splitM) RunBlock(in _g, first * unit, Math.Min(m, end * unit), 0, n, _privateCMaxFloats);
            else RunBlock(in _g, 0, m, first * NR, Math.Min(n, end * NR), _privateCMaxFloats);
        }
    }

    /// <summary>Rows [i0, i1) × columns [j0, j1) of a call (<see cref="SgemmDriver{TOps, TVec}.Run"/>).</summary>
    private readonly ref struct BlockWork(in GemmArgs g, int i0, int i1, int j0, int j1, int privateCMaxFloats) : IVectorWork
    {
        private readonly ref readonly GemmArgs _g = ref g;

        public void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged =>
            SgemmDriver<TOps, TVec>.Run(in _g, i0, i1, j0, j1, privateCMaxFloats);
    }

    /// <summary>A one-row call (<see cref="SgemmDriver{TOps, TVec}.RunRow"/>).</summary>
    private readonly ref struct RowWork(in GemmArgs g) : IVectorWork
    {
        private readonly ref readonly GemmArgs _g = ref g;

        public void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged => SgemmDriver<TOps, TVec>.RunRow(in _g);
    }

    private struct PackPanelsWork : IVectorWork
    {
        public float* B, Dst;
        public int K, N;
        public nint Ldb;
        public bool TransB;

        public readonly void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged =>
            SgemmDriver<TOps, TVec>.PackPanels(B, K, N, Ldb, TransB, Dst);
    }

    private readonly ref struct InputGradientWork(in InputGradientArgs a, int t0, int t1, float** rows, float* tile) : IVectorWork
    {
        private readonly ref readonly InputGradientArgs _a = ref a;

        public void Run<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : unmanaged =>
            InputGradientKernel<TOps, TVec>.Run(in _a, t0, t1, rows, tile);
    }
}
