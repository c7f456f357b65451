namespace Fovea.Kernels;

/// <summary>One validated SGEMM call, as raw pointers (see <see cref="Sgemm.Multiply"/> for the meaning): what is
/// multiplied, what happens to each finished block of C, how the work is blocked, and, for a convolution, the patch
/// matrix that stands for op(A).</summary>
internal unsafe struct GemmArgs
{
    public GemmOperands Operands;
    public GemmEpilogue Epilogue;
    public GemmBlocking Blocking;
    /// <summary>When its images are set, op(A) is this convolution's patch matrix, read in place (A is unused); with
    /// TransA, its transpose: row r a kernel tap, depth p the pixel <see cref="PatchFirstRow"/> + p.</summary>
    public PatchSource Patches;
    public int PatchFirstRow;
}

/// <summary>C [M, N] and op(A) [M, K] · op(B) [K, N], row-major.</summary>
internal unsafe struct GemmOperands
{
    public int M, N, K;
    public float* A;        // op(A) [M, K]: A[i*Lda + p], or A[p*Lda + i] when TransA
    public nint Lda;
    public bool TransA;
    public float* B;        // op(B) [K, N]: B[p*Ldb + j], or B[j*Ldb + p] when TransB
    public nint Ldb;
    public bool TransB;
    /// <summary>When set, op(B) already packed by <see cref="Sgemm.PackPanels"/>: NR-column panels over the whole
    /// depth, panel q at PackedB + q·K·NR, zero-padded; B and <see cref="GemmBlocking.DirectB"/> are then unused.</summary>
    public float* PackedB;
    public float* C;        // [M, Ldc]
    public nint Ldc;
}

/// <summary>What the product is added to and what follows it: C = (Accumulate ? C : 0) + op(A)·op(B), then + bias,
/// then ReLU or GELU.</summary>
internal unsafe struct GemmEpilogue
{
    public bool Accumulate;
    public float* Bias;     // [N] or null
    public bool Relu;
    /// <summary>Apply the exact GELU to each part's block of C once it is complete (<see cref="Gelu.ForwardInPlace"/>),
    /// while it is in the cache of the core that wrote it; after bias and ReLU.</summary>
    public bool Gelu;
}

/// <summary>How the call is cut into blocks and tiles (Goto/BLIS): none of it changes a bit of C except
/// <see cref="Kc"/>, which is chosen from K alone.</summary>
internal struct GemmBlocking
{
    /// <summary>Depth of one k block. Chosen from K alone, so the order in which each C element is summed
    /// (k blocks in turn, each an FMA chain over p) does not depend on threads, blocking over M/N or CPU path.</summary>
    public int Kc;
    /// <summary>Rows of A per L2-resident block.</summary>
    public int Mc;
    /// <summary>Columns of B per packed block.</summary>
    public int Nc;
    /// <summary>Copy A into MR-row panels; otherwise the micro-kernel reads A in place through two strides.</summary>
    public bool PackA;
    /// <summary>Read full-width panels of a non-transposed B in place (row stride Ldb) instead of packing them.</summary>
    public bool DirectB;
    /// <summary>A forward pass over patches in tiles that cut output rows (this many pixels, 3–16) into at most 8
    /// pixels each instead of MR rows: no rows wasted on a 7- or 15-pixel-wide map, and a k block whose kernel rows
    /// all read the zero border of a tile's output row is skipped (<see cref="SgemmDriver{TOps, TVec}.RowTile"/>).
    /// 0: MR-row tiles.</summary>
    public int RowTile;
    /// <summary>With row tiles, a packed B and one A block: panels outside, k blocks inside
    /// (<see cref="KernelOptions.PanelMajorPackedKernel"/>).</summary>
    public bool PanelMajor;
    /// <summary>Read panel by panel, the row tiles prefetch the chunk stored next (<see cref="KernelOptions.PrefetchNextKernelChunk"/>).</summary>
    public bool PrefetchNext;
}
