namespace Fovea.Kernels;

/// <summary>
/// Single-precision matrix multiply, the kernel every layer runs on. Row-major throughout.
/// <see cref="SgemmReference"/> is the plain version of the same contract.
/// </summary>
public static unsafe partial class Sgemm
{
    /// <summary>The micro-kernel chosen for this CPU: "avx512" (6×32), "avx2" (6×16 FMA), "vector128" (6×8) or "scalar".</summary>
    public static string ActivePath => CpuPath.Name;

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

        var options = Engine.KernelOptions;
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var g = new GemmArgs
            {
                Operands = new GemmOperands
                {
                    M = m, N = n, K = k,
                    A = pa, Lda = lda, TransA = transA,
                    B = pb, Ldb = ldb, TransB = transB,
                    C = pc, Ldc = ldc,
                },
                Epilogue = new GemmEpilogue { Accumulate = accumulate, Bias = bias.IsEmpty ? null : pbias, Relu = relu },
                Blocking = Blocking(options, m, n, k, ldb, transB, kc: 0),
            };
            g.Blocking.PackA = n >= options.PackAMinN;
            if (k == 0) ScaleOnly(in g);
            // One row (a batch of one through Dense, or the last layers of a network at batch 1): a matrix-vector
            // product that reads B once in place, instead of packing it and filling a 6-row tile for one row.
            else if (m == 1 && !transB && n % CpuPath.VectorWidth == 0)
            {
                var row = new RowWork(in g);
                CpuPath.Run(ref row);
            }
            else Execute(in g, threads, options);
        }
    }

    /// <summary>
    /// C[m×n] = (C when <paramref name="accumulate"/>) + P · B (+ bias, ReLU) where P [m×k] is the patch matrix <paramref name="patches"/> describes, read in
    /// place (implicit im2col): the same blocking, splits and micro-kernel arithmetic as <see cref="Multiply"/> on
    /// the unfolded matrix, so the same bits. The caller (a convolution plan) has checked every extent.
    /// </summary>
    internal static void MultiplyPatches(in PatchSource patches, int m, int n, int k,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, ReadOnlySpan<float> bias, bool relu, int threads,
        ReadOnlySpan<float> packedB = default, bool gelu = false, int kc = 0, bool accumulate = false)
    {
        if (m == 0 || n == 0) return;
        if (!packedB.IsEmpty && packedB.Length < PackedPanelsLength(k, n))
            throw new ArgumentException($"packedB must hold {PackedPanelsLength(k, n)} floats for a {k}×{n} B on this CPU path; got {packedB.Length}", nameof(packedB));
        var options = Engine.KernelOptions;
        fixed (float* pb = b, pc = c, pbias = bias, ppacked = packedB)
        {
            var g = new GemmArgs
            {
                Operands = new GemmOperands
                {
                    M = m, N = n, K = k,
                    B = pb, Ldb = ldb, PackedB = packedB.IsEmpty ? null : ppacked,
                    C = pc, Ldc = ldc,
                },
                Epilogue = new GemmEpilogue { Accumulate = accumulate, Bias = bias.IsEmpty ? null : pbias, Relu = relu, Gelu = gelu },
                Blocking = Blocking(options, m, n, k, ldb, transB: false, kc),
                Patches = patches,
            };
            g.Blocking.RowTile = RowTileFor(in patches, options);
            g.Blocking.PanelMajor = options.PanelMajorPackedKernel;
            g.Blocking.PrefetchNext = options.PrefetchNextKernelChunk;
            if (g.Blocking.RowTile > 0) g.Blocking.Mc = Math.Max(1, options.Mc / g.Blocking.RowTile) * g.Blocking.RowTile;
            Execute(in g, threads, options);
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
        var options = Engine.KernelOptions;
        fixed (float* pb = b, pc = c)
        {
            var g = new GemmArgs
            {
                Operands = new GemmOperands { M = m, N = n, K = k, TransA = true, B = pb, Ldb = ldb, C = pc, Ldc = ldc },
                Epilogue = new GemmEpilogue { Accumulate = accumulate },
                Blocking = Blocking(options, m, n, k, ldb, transB: false, kc: 0),
                Patches = patches,
                PatchFirstRow = firstRow,
            };
            Execute(in g, threads, options);
        }
    }

    /// <summary>The blocking of a call: k blocks from k alone (or <paramref name="kc"/> when given), A blocks of whole
    /// register tiles, B read in place where packing it would not pay.</summary>
    private static GemmBlocking Blocking(KernelOptions options, int m, int n, int k, int ldb, bool transB, int kc) => new()
    {
        Kc = kc > 0 ? kc : ChooseKc(k, options),
        Mc = options.Mc / MR * MR,
        Nc = options.Nc,
        // B [k, NR] row-major already is one packed panel (conv1 dW: dY with 32 channels, 150 → 180 GFLOPS).
        // Wider B read in place measured slower (conv2 fwd, ldb = 64: 256 → 216): rows at a 256-byte stride
        // use half of each cache set, so the kc×NR panel no longer stays in L1. Few rows of A read B in place only
        // when B's rows lie side by side: Winograd's kernel gradient reads dM_ξ, rows 16·n floats apart, and packed
        // it ran 4–10% faster (airbench94's 15×15 layers, 64 input channels).
        DirectB = !transB && (ldb <= NR || (m <= options.DirectBMaxM && ldb <= 2 * n)),
    };

    /// <summary>
    /// Row tiles for a forward pass over patches (<see cref="GemmBlocking.RowTile"/>): on the AVX-512 path, whose 32
    /// registers hold 8 rows of accumulators, for output maps 3–16 pixels wide, where 6-row tiles waste rows (a 7×7 map
    /// takes 9 tiles of 6 for 49 pixels) and whole rows of taps at the top and bottom read only padding.
    /// </summary>
    private static int RowTileFor(in PatchSource patches, KernelOptions options) =>
        options.RowTiles && CpuPath.Active == VectorPath.Avx512 && patches.OutWidth is >= 3 and <= 16 ? patches.OutWidth : 0;

    /// <summary>
    /// The k blocks of an inference forward pass over patches: one kernel row each where a kernel row is a block's
    /// size or less and k needs several blocks anyway (airbench's 15×15×64 layers: 3 blocks of 192 instead of 2 of
    /// 288), so that the top and bottom output rows skip the block that reads only padding. Training keeps
    /// <see cref="ChooseKc(int)"/>'s blocks, whose sums its figures were measured with.
    /// </summary>
    internal static int InferenceKc(in PatchSource patches, int k)
    {
        var options = Engine.KernelOptions;
        int kc = ChooseKc(k, options);
        return kc < k && patches.Segment <= options.KcMax && RowTileFor(in patches, options) > 0 ? patches.Segment : kc;
    }

    /// <summary>Floats <see cref="PackPanels"/> writes for a k × n B on this CPU path.</summary>
    internal static long PackedPanelsLength(int k, int n) => (long)(n + NR - 1) / NR * NR * k;

    /// <summary>
    /// B (k × n, row stride <paramref name="ldb"/>) packed once into the register tile's column panels over the whole
    /// depth, for <see cref="MultiplyPatches"/> to read contiguously call after call (a convolution's kernel at
    /// inference). In place, the micro-kernel reads each depth's 32 floats a whole row of B apart: at n = 256 every
    /// such read maps to the same few L1 sets, and a panel no longer stays in L1 between row tiles. Same values, so
    /// the same bits. <paramref name="transB"/>: op(B) is the transpose of the stored n × k matrix.
    /// </summary>
    internal static void PackPanels(ReadOnlySpan<float> b, int k, int n, int ldb, Span<float> dst, bool transB = false)
    {
        CheckMatrix(b, nameof(b), ldb, nameof(ldb), transB ? n : k, transB ? k : n, transB ? "n×k (transB)" : "row-major");
        if (dst.Length < PackedPanelsLength(k, n))
            throw new ArgumentException($"dst must hold {PackedPanelsLength(k, n)} floats; got {dst.Length}", nameof(dst));
        if (k == 0 || n == 0) return;
        fixed (float* pb = b, pd = dst)
        {
            var work = new PackPanelsWork { B = pb, K = k, N = n, Ldb = ldb, TransB = transB, Dst = pd };
            CpuPath.Run(ref work);
        }
    }

    /// <summary>
    /// C[m×n] = (accumulate ? C : 0) + A[m×k] · op(B), op(B) packed by <see cref="PackPanels"/>: the arithmetic of
    /// <see cref="Multiply"/> (the same k blocks, micro-kernel and order of sums), so the same bits, without packing B
    /// again in every call (Winograd's 16 products of a chunk, chunk after chunk, with the same transformed kernel).
    /// On the calling thread.
    /// </summary>
    internal static void MultiplyPacked(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packedB,
                                        Span<float> c, int ldc, bool accumulate = false)
    {
        if (m == 0 || n == 0) return;
        CheckMatrix(a, nameof(a), lda, nameof(lda), m, k, "m×k");
        CheckMatrix(c, nameof(c), ldc, nameof(ldc), m, n, "m×n");
        if (packedB.Length < PackedPanelsLength(k, n))
            throw new ArgumentException($"packedB must hold {PackedPanelsLength(k, n)} floats for a {k}×{n} B on this CPU path; got {packedB.Length}", nameof(packedB));
        if (k == 0) throw new ArgumentOutOfRangeException(nameof(k), "k must be positive with a packed B");
        var options = Engine.KernelOptions;
        fixed (float* pa = a, pb = packedB, pc = c)
        {
            var g = new GemmArgs
            {
                Operands = new GemmOperands { M = m, N = n, K = k, A = pa, Lda = lda, PackedB = pb, C = pc, Ldc = ldc },
                Epilogue = new GemmEpilogue { Accumulate = accumulate },
                Blocking = Blocking(options, m, n, k, n, transB: false, kc: 0),
            };
            g.Blocking.PackA = n >= options.PackAMinN;
            Execute(in g, 1, options);
        }
    }

    /// <summary>Columns of this CPU path's register tile (two vectors).</summary>
    internal static int PanelWidth => NR;

    /// <summary>Input-pixel tiles [t0, t1) of a convolution's input gradient on this CPU's path (<see cref="InputGradientKernel{TOps, TVec}"/>).</summary>
    internal static void InputGradient(in InputGradientArgs a, int t0, int t1, float** rows, float* tile)
    {
        var work = new InputGradientWork(in a, t0, t1, rows, tile);
        CpuPath.Run(ref work);
    }

    private const int MR = 6;

    /// <summary>Depth of a k block, from k alone: whole when short, else equal blocks near KcTarget.</summary>
    internal static int ChooseKc(int k) => ChooseKc(k, Engine.KernelOptions);

    private static int ChooseKc(int k, KernelOptions options)
    {
        if (k <= options.KcMax) return Math.Max(k, 1);
        int blocks = (k + options.KcTarget - 1) / options.KcTarget;
        return (k + blocks - 1) / blocks;
    }

    private static int NR => 2 * CpuPath.VectorWidth;

    /// <summary>k = 0: the product is empty, so C is just (accumulate ? C : 0) through the epilogue.</summary>
    private static void ScaleOnly(in GemmArgs g)
    {
        ref readonly var op = ref g.Operands;
        ref readonly var e = ref g.Epilogue;
        for (int i = 0; i < op.M; i++)
        {
            float* row = op.C + i * op.Ldc;
            for (int j = 0; j < op.N; j++)
            {
                float v = e.Accumulate ? row[j] : 0f;
                if (e.Bias != null) v += e.Bias[j];
                row[j] = e.Relu && v < 0f ? 0f : v;
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
