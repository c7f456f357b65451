namespace Fovea.Kernels;

/// <summary>
/// What inference derives from one convolution's kernel: the kernel with the normalisations around it folded in, its
/// register-tile panels, Winograd's transforms. One holder serves a model and all its inference replicas, which each
/// kept a copy of their own (five ResNet-18s evaluated on two threads: three copies of every form). A form is derived
/// under the holder's lock by the first caller that finds it older than <see cref="Stamp"/>, and only read after
/// that: no weight changes while an inference pass runs, so every replica asks for the same stamp.
/// </summary>
internal sealed class DerivedKernels
{
    /// <summary>What the forms are derived from: the generation of the weights and how they are
    /// folded, set by the step before each convolution (under the lock), the same value from every replica.</summary>
    public long Stamp { get; set; } = -1;

    /// <summary>The kernel and bias with the normalisations folded in, and the stamp they were folded at.</summary>
    public float[] FoldedKernel { get; set; } = [];
    /// <inheritdoc cref="FoldedKernel"/>
    public float[] FoldedBias { get; set; } = [];
    /// <inheritdoc cref="FoldedKernel"/>
    public long FoldedStamp { get; set; } = -1;
    /// <summary>Whether every scale of the folded normalisation is positive (it then commutes with a max-pool).</summary>
    public bool FoldScalesPositive { get; set; }

    /// <summary>The kernel packed into register-tile panels, and its stamp.</summary>
    public Memory<float> Packed { get; set; }
    /// <inheritdoc cref="Packed"/>
    public long PackedStamp { get; set; } = -1;

    /// <summary>Winograd's transformed kernels, F(2×2, 3×3) and F(4×4, 3×3), and their stamps.</summary>
    public float[] Transformed2 = [], Transformed4 = [];
    /// <inheritdoc cref="Transformed2"/>
    public long Transformed2Stamp = -1, Transformed4Stamp = -1;
}
