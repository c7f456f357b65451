using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fovea.Kernels;

/// <summary>
/// Single-precision matrix multiply, the kernel every layer runs on. Row-major throughout.
/// <see cref="SgemmReference"/> is the plain version of the same contract.
/// </summary>
public static unsafe class Sgemm
{
    private enum Path { Avx512, Avx2, Vector128, Scalar }

    // Widest first. Vector512.IsHardwareAccelerated is false where the runtime judges 512-bit code slower
    // (or DOTNET_EnableAVX512=0); the 256-bit path needs FMA, which DOTNET_EnableAVX2=0 also turns off.
    private static readonly Path ActiveKernel =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Path.Avx512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? Path.Avx2
        : Vector128.IsHardwareAccelerated ? Path.Vector128
        : Path.Scalar;

    /// <summary>The micro-kernel chosen for this CPU: "avx512" (6×32), "avx2" (6×16 FMA), "vector128" (6×8) or "scalar".</summary>
    public static string ActivePath => ActiveKernel switch
    {
        Path.Avx512 => "avx512",
        Path.Avx2 => "avx2",
        Path.Vector128 => "vector128",
        _ => "scalar",
    };

    /// <summary>
    /// Blocking, settable by tests and the benchmark harness (<c>--timing --kc/--mc/--nc/--packa</c>). Defaults
    /// measured on this project's AVX-512 machine (48 KB L1d, 1 MB L2 per core) at the tutorial shapes and 1024³;
    /// nearby values (kc 384/512, mc 240) measured within noise, kc 128 was slower.
    /// </summary>
    internal static class Tuning
    {
        /// <summary>k up to this is done as one block: splitting costs an extra pass over C.</summary>
        public static int KcMax = 384;
        /// <summary>Target depth of a k block when k is split: the B panel (kc × 32 floats = 32 KB) fits the 48 KB L1.</summary>
        public static int KcTarget = 256;
        /// <summary>Rows per A block (mc × kc floats = 120 KB at kc 256, well inside L2).</summary>
        public static int Mc = 120;
        /// <summary>Columns per packed B block (kc × nc floats = 2 MB at kc 256, in L3).</summary>
        public static int Nc = 2048;
        /// <summary>Below this many multiply-adds a call runs on the calling thread: waking workers costs more.</summary>
        public static long ParallelMinMacs = 1 << 18;
        /// <summary>Parts per thread of a parallel call.</summary>
        public static int PartsPerThread = 4;
        /// <summary>Fewest MR-row panels in a part of an M split (each such part packs B again).</summary>
        public static int MinPanelsPerMPart = 16;
        /// <summary>The same when B comes packed (an inference convolution's kernel): a part then only reads B again.</summary>
        public static int MinPanelsPerPackedMPart = 8;
        /// <summary>Pack A into MR-row panels when n reaches this. Off by default: reading A in place through
        /// strides measured as fast or faster at every shape here, 1024³ included (249 vs 218 GFLOPS).</summary>
        public static int PackAMinN = int.MaxValue;
        /// <summary>Read B in place, whatever its width, when m is at most this: packing B then costs about as much
        /// as the product (a 7×7 map through a 2304×256 kernel at batch 1), and few row tiles reuse a panel.</summary>
        public static int DirectBMaxM = 64;
        /// <summary>A part of a call with several k blocks whose block of C has at most this many floats sums into an
        /// aligned scratch of its own and writes C once: C is written after every k block, and where the parts of
        /// two threads meet inside a cache line of an unaligned C, that line went back and forth between the cores
        /// (a 7×7×256 layer at batch 1: 190 µs on 2 threads with C off a line boundary, 163 µs on one).</summary>
        public static int PrivateCMaxFloats = 1 << 14;
        /// <summary>Row tiles for narrow output maps (<see cref="GemmArgs.RowTile"/>) and inference's k blocks by kernel
        /// row (<see cref="InferenceKc"/>); tests turn them off to compare.</summary>
        public static bool RowTiles = true;
    }

    /// <summary>
    /// C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n]; then, if given, + bias[j] on every row and ReLU.
    /// op(A) is A (element [i, p] at a[i*lda + p]) or, when <paramref name="transA"/>, Aᵀ with A stored k×m
    /// (a[p*lda + i]); likewise B. The work is split over blocks of M or N, never K, so each element's sum is
    /// ordered the same for any <paramref name="threads"/>: results are bit-identical across thread counts.
    /// Allocation-free after the first call on a thread (pack buffers are cached per thread).
    /// <paramref name="threads"/> is how many parts the work is split into; they run on <see cref="WorkerPool.Shared"/>
    /// (sized by <see cref="Engine.Threads"/>), or inline when called from inside a pool part.
    /// </summary>
    public static void Multiply(
        int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        Span<float> c, int ldc,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool relu = false, int threads = 1)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, $"m must be non-negative; got {m}");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be non-negative; got {n}");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be non-negative; got {k}");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, $"threads must be at least 1; got {threads}");
        CheckMatrix(a, nameof(a), lda, nameof(lda), transA ? k : m, transA ? m : k, transA ? "k×m (transA)" : "m×k");
        CheckMatrix(b, nameof(b), ldb, nameof(ldb), transB ? n : k, transB ? k : n, transB ? "n×k (transB)" : "k×n");
        CheckMatrix(c, nameof(c), ldc, nameof(ldc), m, n, "m×n");
        if (!bias.IsEmpty && bias.Length != n)
            throw new ArgumentException($"bias must be empty or hold n = {n} values; got {bias.Length}", nameof(bias));
        if (m == 0 || n == 0) return;
        // Only the elements each operand actually spans count, so slices of one workspace may sit side by side.
        Span<float> cUsed = c[..Extent(m, n, ldc)];
        if (k > 0 && cUsed.Overlaps(a[..(transA ? Extent(k, m, lda) : Extent(m, k, lda))]))
            throw new ArgumentException("c must not overlap a", nameof(c));
        if (k > 0 && cUsed.Overlaps(b[..(transB ? Extent(n, k, ldb) : Extent(k, n, ldb))]))
            throw new ArgumentException("c must not overlap b", nameof(c));
        if (cUsed.Overlaps(bias)) throw new ArgumentException("c must not overlap bias", nameof(c));

        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var g = new GemmArgs
            {
                M = m, N = n, K = k,
                A = pa, Lda = lda, TransA = transA,
                B = pb, Ldb = ldb, TransB = transB,
                C = pc, Ldc = ldc,
                Accumulate = accumulate, Bias = bias.IsEmpty ? null : pbias, Relu = relu,
                Kc = ChooseKc(k),
                Mc = Tuning.Mc / MR * MR,
                Nc = Tuning.Nc,
                PackA = n >= Tuning.PackAMinN,
                // B [k, NR] row-major already is one packed panel (conv1 dW: dY with 32 channels, 150 → 180 GFLOPS).
                // Wider B read in place measured slower (conv2 fwd, ldb = 64: 256 → 216): rows at a 256-byte stride
                // use half of each cache set, so the kc×NR panel no longer stays in L1.
                DirectB = !transB && (ldb <= NR || m <= Tuning.DirectBMaxM),
            };
            if (k == 0) ScaleOnly(in g);
            // One row (a batch of one through Dense, or the last layers of a network at batch 1): a matrix-vector
            // product that reads B once in place, instead of packing it and filling a 6-row tile for one row.
            else if (m == 1 && !transB && n % VectorWidth == 0) RunRow(in g);
            else Execute(in g, threads);
        }
    }

    /// <summary>
    /// C[m×n] = P · B (+ bias, ReLU) where P [m×k] is the patch matrix <paramref name="patches"/> describes, read in
    /// place (implicit im2col): the same blocking, splits and micro-kernel arithmetic as <see cref="Multiply"/> on
    /// the unfolded matrix, so the same bits. The caller (a convolution plan) has checked every extent.
    /// </summary>
    internal static void MultiplyPatches(in PatchSource patches, int m, int n, int k,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, ReadOnlySpan<float> bias, bool relu, int threads,
        ReadOnlySpan<float> packedB = default, bool gelu = false, int kc = 0)
    {
        if (m == 0 || n == 0) return;
        if (!packedB.IsEmpty && packedB.Length < PackedPanelsLength(k, n))
            throw new ArgumentException($"packedB must hold {PackedPanelsLength(k, n)} floats for a {k}×{n} B on this CPU path; got {packedB.Length}", nameof(packedB));
        fixed (float* pb = b, pc = c, pbias = bias, ppacked = packedB)
        {
            var g = new GemmArgs
            {
                M = m, N = n, K = k,
                B = pb, Ldb = ldb,
                C = pc, Ldc = ldc,
                Bias = bias.IsEmpty ? null : pbias, Relu = relu,
                Kc = kc > 0 ? kc : ChooseKc(k),
                Mc = Tuning.Mc / MR * MR,
                Nc = Tuning.Nc,
                DirectB = ldb <= NR || m <= Tuning.DirectBMaxM,
                Patches = patches,
                PackedB = packedB.IsEmpty ? null : ppacked,
                RowTile = RowTileFor(in patches),
                Gelu = gelu,
            };
            if (g.RowTile > 0) g.Mc = Math.Max(1, Tuning.Mc / g.RowTile) * g.RowTile;
            Execute(in g, threads);
        }
    }

    /// <summary>
    /// C[m×n] = (accumulate ? C : 0) + Pᵀ · B, where P is rows [<paramref name="firstRow"/>, + k) of the patch matrix
    /// <paramref name="patches"/> describes (m = its width, the kernel taps): a convolution's kernel gradient with
    /// B = dz, read in place, with the arithmetic of <see cref="Multiply"/> on the unfolded matrix with transA.
    /// </summary>
    internal static void MultiplyPatchesTransposed(in PatchSource patches, int firstRow, int m, int n, int k,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate, int threads)
    {
        if (m == 0 || n == 0 || k == 0) return;
        fixed (float* pb = b, pc = c)
        {
            var g = new GemmArgs
            {
                M = m, N = n, K = k,
                TransA = true,
                B = pb, Ldb = ldb,
                C = pc, Ldc = ldc,
                Accumulate = accumulate,
                Kc = ChooseKc(k),
                Mc = Tuning.Mc / MR * MR,
                Nc = Tuning.Nc,
                DirectB = ldb <= NR || m <= Tuning.DirectBMaxM,
                Patches = patches,
                PatchFirstRow = firstRow,
            };
            Execute(in g, threads);
        }
    }

    /// <summary>
    /// Row tiles for a forward pass over patches (<see cref="GemmArgs.RowTile"/>): on the AVX-512 path, whose 32
    /// registers hold 8 rows of accumulators, for output maps 3–16 pixels wide, where 6-row tiles waste rows (a 7×7 map
    /// takes 9 tiles of 6 for 49 pixels) and whole rows of taps at the top and bottom read only padding.
    /// </summary>
    private static int RowTileFor(in PatchSource patches) =>
        Tuning.RowTiles && ActiveKernel == Path.Avx512 && patches.OutWidth is >= 3 and <= 16 ? patches.OutWidth : 0;

    /// <summary>
    /// The k blocks of an inference forward pass over patches: one kernel row each where a kernel row is a block's
    /// size or less and k needs several blocks anyway (airbench's 15×15×64 layers: 3 blocks of 192 instead of 2 of
    /// 288), so that the top and bottom output rows skip the block that reads only padding. Training keeps
    /// <see cref="ChooseKc"/>'s blocks, whose sums its figures were measured with.
    /// </summary>
    internal static int InferenceKc(in PatchSource patches, int k)
    {
        int kc = ChooseKc(k);
        return kc < k && patches.Segment <= Tuning.KcMax && Tuning.RowTiles && RowTileFor(in patches) > 0 ? patches.Segment : kc;
    }

    /// <summary>Floats <see cref="PackPanels"/> writes for a k × n B on this CPU path.</summary>
    internal static long PackedPanelsLength(int k, int n) => (long)(n + NR - 1) / NR * NR * k;

    /// <summary>
    /// B (k × n, row stride <paramref name="ldb"/>) packed once into the register tile's column panels over the whole
    /// depth, for <see cref="MultiplyPatches"/> to read contiguously call after call (a convolution's kernel at
    /// inference). In place, the micro-kernel reads each depth's 32 floats a whole row of B apart: at n = 256 every
    /// such read maps to the same few L1 sets, and a panel no longer stays in L1 between row tiles. Same values, so
    /// the same bits.
    /// </summary>
    internal static void PackPanels(ReadOnlySpan<float> b, int k, int n, int ldb, Span<float> dst)
    {
        CheckMatrix(b, nameof(b), ldb, nameof(ldb), k, n, "row-major");
        if (dst.Length < PackedPanelsLength(k, n))
            throw new ArgumentException($"dst must hold {PackedPanelsLength(k, n)} floats; got {dst.Length}", nameof(dst));
        if (k == 0 || n == 0) return;
        fixed (float* pb = b, pd = dst)
        {
            switch (ActiveKernel)
            {
                case Path.Avx512: SgemmDriver<Avx512Ops, Vector512<float>>.PackPanels(pb, k, n, ldb, pd); break;
                case Path.Avx2: SgemmDriver<Avx2Ops, Vector256<float>>.PackPanels(pb, k, n, ldb, pd); break;
                case Path.Vector128: SgemmDriver<Vector128Ops, Vector128<float>>.PackPanels(pb, k, n, ldb, pd); break;
                default: SgemmDriver<ScalarOps, float>.PackPanels(pb, k, n, ldb, pd); break;
            }
        }
    }

    /// <summary>Columns of this CPU path's register tile (two vectors).</summary>
    internal static int PanelWidth => NR;

    /// <summary>Input-pixel tiles [t0, t1) of a convolution's input gradient on this CPU's path (<see cref="InputGradientKernel{TOps, TVec}"/>).</summary>
    internal static void InputGradient(in InputGradientArgs a, int t0, int t1, float** rows, float* tile)
    {
        switch (ActiveKernel)
        {
            case Path.Avx512: InputGradientKernel<Avx512Ops, Vector512<float>>.Run(in a, t0, t1, rows, tile); break;
            case Path.Avx2: InputGradientKernel<Avx2Ops, Vector256<float>>.Run(in a, t0, t1, rows, tile); break;
            case Path.Vector128: InputGradientKernel<Vector128Ops, Vector128<float>>.Run(in a, t0, t1, rows, tile); break;
            default: InputGradientKernel<ScalarOps, float>.Run(in a, t0, t1, rows, tile); break;
        }
    }

    private const int MR = 6;

    /// <summary>Depth of a k block, from k alone: whole when short, else equal blocks near KcTarget.</summary>
    internal static int ChooseKc(int k)
    {
        if (k <= Tuning.KcMax) return Math.Max(k, 1);
        int blocks = (k + Tuning.KcTarget - 1) / Tuning.KcTarget;
        return (k + blocks - 1) / blocks;
    }

    private static int VectorWidth => NR / 2;

    private static void RunRow(in GemmArgs g)
    {
        switch (ActiveKernel)
        {
            case Path.Avx512: SgemmDriver<Avx512Ops, Vector512<float>>.RunRow(in g); break;
            case Path.Avx2: SgemmDriver<Avx2Ops, Vector256<float>>.RunRow(in g); break;
            case Path.Vector128: SgemmDriver<Vector128Ops, Vector128<float>>.RunRow(in g); break;
            default: SgemmDriver<ScalarOps, float>.RunRow(in g); break;
        }
    }

    private static int NR => ActiveKernel switch
    {
        Path.Avx512 => 32,
        Path.Avx2 => 16,
        Path.Vector128 => 8,
        _ => 2,
    };

    [ThreadStatic] private static SgemmWork? t_work;

    private static void Execute(in GemmArgs g, int threads)
    {
        int nr = NR;
        int rowUnit = g.RowTile > 0 ? g.RowTile : MR;
        int panelsM = (g.M + rowUnit - 1) / rowUnit, panelsN = (g.N + nr - 1) / nr;
        long macs = (long)g.M * g.N * g.K;
        // A call from inside a pool part still splits the same way; the pool then runs the parts inline.
        if (threads > 1 && macs >= Tuning.ParallelMinMacs)
        {
            // M when it has enough rows for parts of MinPanelsPerMPart MR-row panels, else the axis that divides most
            // evenly over the threads; on a tie, M (each part then reads only its rows of A). Parts of an N split write
            // the same rows of C side by side, and unless C's rows start on cache lines, two threads write into shared
            // lines. Each M part packs all of B again, so M parts keep at least that many rows, unless B comes packed.
            int minUnits = Math.Max(1, (g.PackedB != null ? Tuning.MinPanelsPerPackedMPart : Tuning.MinPanelsPerMPart) * MR / rowUnit);
            bool splitM = panelsM >= threads * minUnits || Balance(panelsM, threads) >= Balance(panelsN, threads);
            int panels = splitM ? panelsM : panelsN;
            // More parts than threads, when the shape allows, so that a thread slowed by a neighbour on this
            // shared machine (or woken late) leaves its remaining parts to the others. N parts share A, read in place,
            // for free.
            int capacity = splitM ? panels / minUnits : panels;
            int parts = Math.Min(threads * Tuning.PartsPerThread, capacity) / threads * threads;   // whole rounds
            parts = Math.Min(Math.Max(parts, threads), panels);
            if (parts > 1)
            {
                var work = t_work ??= new SgemmWork();
                work.Set(in g, splitM, panels, parts);
                try { WorkerPool.Shared.Run(work, parts); }
                finally { work.Clear(); }
                return;
            }
        }
        RunBlock(in g, 0, g.M, 0, g.N);
    }

    /// <summary>Mean part size over the largest when <paramref name="panels"/> are dealt into <paramref name="parts"/>: 1 is perfectly even.</summary>
    private static double Balance(int panels, int parts) => (double)panels / (parts * ((panels + parts - 1) / parts));

    private static void RunBlock(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        switch (ActiveKernel)
        {
            case Path.Avx512: SgemmDriver<Avx512Ops, Vector512<float>>.Run(in g, i0, i1, j0, j1); break;
            case Path.Avx2: SgemmDriver<Avx2Ops, Vector256<float>>.Run(in g, i0, i1, j0, j1); break;
            case Path.Vector128: SgemmDriver<Vector128Ops, Vector128<float>>.Run(in g, i0, i1, j0, j1); break;
            default: SgemmDriver<ScalarOps, float>.Run(in g, i0, i1, j0, j1); break;
        }
    }

    /// <summary>Part p of a parallel call: a contiguous run of whole MR-row (or NR-column) panels.</summary>
    private sealed class SgemmWork : IParallelWork
    {
        private GemmArgs _g;
        private bool _splitM;
        private int _panels, _parts;

        public void Set(in GemmArgs g, bool splitM, int panels, int parts)
        {
            _g = g;
            _splitM = splitM;
            _panels = panels;
            _parts = parts;
        }

        public void Clear() => _g = default;

        public void Execute(int part)
        {
            int first = (int)((long)_panels * part / _parts), end = (int)((long)_panels * (part + 1) / _parts);
            int unit = _g.RowTile > 0 ? _g.RowTile : MR;
            if (_splitM) RunBlock(in _g, first * unit, Math.Min(_g.M, end * unit), 0, _g.N);
            else RunBlock(in _g, 0, _g.M, first * NR, Math.Min(_g.N, end * NR));
        }
    }

    /// <summary>k = 0: the product is empty, so C is just (accumulate ? C : 0) through the epilogue.</summary>
    private static void ScaleOnly(in GemmArgs g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* row = g.C + i * g.Ldc;
            for (int j = 0; j < g.N; j++)
            {
                float v = g.Accumulate ? row[j] : 0f;
                if (g.Bias != null) v += g.Bias[j];
                row[j] = g.Relu && v < 0f ? 0f : v;
            }
        }
    }

    private static int Extent(int rows, int cols, int ld) => (int)((long)(rows - 1) * ld + cols);

    private static void CheckMatrix(ReadOnlySpan<float> span, string name, int ld, string ldName, int rows, int cols, string layout)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(ldName, ld, $"{ldName} must be at least {Math.Max(1, cols)} for a {layout} matrix of {rows}×{cols}; got {ld}");
        if (rows == 0 || cols == 0) return;
        long needed = (long)(rows - 1) * ld + cols;
        if (span.Length < needed)
            throw new ArgumentException($"{name} must hold at least {needed} floats for a {layout} matrix of {rows}×{cols} with {ldName} = {ld}; got {span.Length}", name);
    }
}
