namespace Fovea;

/// <summary>
/// The kernels' tuning, as one immutable value: <see cref="Engine.KernelOptions"/> holds the one in use, and a test or
/// benchmark that compares a setting swaps in a copy (<c>Engine.KernelOptions = Engine.KernelOptions with { … }</c>).
/// Defaults were measured on this project's AVX-512 machine (48 KB L1d, 1 MB L2 per core) at the tutorial's and
/// airbench94's shapes and 1024³ (<c>bench/Fovea.Benchmarks -- --timing</c>, <c>--conv</c>); nearby blockings (kc
/// 384/512, mc 240) measured within noise, kc 128 slower. None of them changes a result's bits, except the GEMM's
/// k blocking (<see cref="KcMax"/>, <see cref="KcTarget"/>) and <see cref="SplitKMaxFloats"/>, which fix the order
/// of sums.
/// </summary>
public sealed record KernelOptions
{
    /// <summary>The measured defaults.</summary>
    public static KernelOptions Default { get; } = new();

    // SGEMM blocking.

    /// <summary>k up to this is done as one block: splitting costs an extra pass over C.</summary>
    public int KcMax { get; init; } = 384;
    /// <summary>Target depth of a k block when k is split: the B panel (kc × 32 floats = 32 KB) fits the 48 KB L1.</summary>
    public int KcTarget { get; init; } = 256;
    /// <summary>Rows per A block (mc × kc floats = 120 KB at kc 256, well inside L2).</summary>
    public int Mc { get; init; } = 120;
    /// <summary>Columns per packed B block (kc × nc floats = 2 MB at kc 256, in L3).</summary>
    public int Nc { get; init; } = 2048;
    /// <summary>Pack A into MR-row panels when n reaches this. Off by default: reading A in place through strides
    /// measured as fast or faster at every shape here, 1024³ included (249 vs 218 GFLOPS).</summary>
    public int PackAMinN { get; init; } = int.MaxValue;
    /// <summary>Read B in place, whatever its width, when m is at most this: packing B then costs about as much as the
    /// product (a 7×7 map through a 2304×256 kernel at batch 1), and few row tiles reuse a panel.</summary>
    public int DirectBMaxM { get; init; } = 64;
    /// <summary>A part of a call with several k blocks whose block of C has at most this many floats sums into an
    /// aligned scratch of its own and writes C once: C is written after every k block, and where the parts of two
    /// threads meet inside a cache line of an unaligned C, that line went back and forth between the cores (a 7×7×256
    /// layer at batch 1: 190 µs on 2 threads with C off a line boundary, 163 µs on one).</summary>
    public int PrivateCMaxFloats { get; init; } = 1 << 14;
    /// <summary>Row tiles for narrow output maps (<see cref="Kernels.GemmBlocking.RowTile"/>) and inference's k blocks by
    /// kernel row (<see cref="Kernels.Sgemm.InferenceKc"/>); tests turn them off to compare.</summary>
    public bool RowTiles { get; init; } = true;
    /// <summary>A packed kernel read by rows few enough for one block (a batch-1 forward pass over patches) is read
    /// panel after panel over its whole depth, in the order it is stored, rather than one k block of every panel at a
    /// time: the hardware prefetcher then streams it. ResNet-18's 7×7×512 layers read 9.4 MB of kernel for 49 pixels:
    /// 140–153 → 163–174 GFLOPS on one thread, 259–265 → 269–279 on two (Zen 5). Never changes a bit.</summary>
    public bool PanelMajorPackedKernel { get; init; } = true;
    /// <summary>Read so, the row tiles of one chunk prefetch the chunk stored next, a share of it in each tile's loop:
    /// ResNet-18's 7×7×512 layers 147–152 → 157–165 GFLOPS on one thread, 295–315 → 331 on two; the whole network at
    /// batch 1 ahead in each of four alternating pairs (Zen 5). Never changes a bit.</summary>
    public bool PrefetchNextKernelChunk { get; init; } = true;

    // Splitting a call over the worker pool.

    /// <summary>Below this many multiply-adds a call runs on the calling thread: waking workers costs more.</summary>
    public long ParallelMinMacs { get; init; } = 1 << 18;
    /// <summary>Parts per thread of a parallel call, so that a thread slowed by a neighbour leaves parts to the others.</summary>
    public int PartsPerThread { get; init; } = 4;
    /// <summary>Fewest MR-row panels in a part of an M split (each such part packs B again).</summary>
    public int MinPanelsPerMPart { get; init; } = 16;
    /// <summary>The same when B comes packed (an inference convolution's kernel): a part then only reads B again.</summary>
    public int MinPanelsPerPackedMPart { get; init; } = 8;

    // Convolution.

    /// <summary>Kernel gradients with at most this many floats (kh·kw·cin·filters) split the sum over k instead: the
    /// SGEMM splits only M and N, and a 27×32 output has too few panels to keep two threads busy.</summary>
    public int SplitKMaxFloats { get; init; } = 1 << 14;
    /// <summary>Forward passes and kernel gradients read patches in place instead of unfolding them, and input
    /// gradients are summed where they land instead of folded from a patch-gradient matrix (both give the same bits;
    /// tests and benchmarks turn it off to compare).</summary>
    public bool ImplicitForward { get; init; } = true;
    /// <summary>Inference forward passes read a kernel packed once into register-tile panels (kept while the kernel is
    /// unchanged) instead of the kernel in place: in place, a 256-wide kernel's rows map to the same few L1 sets.</summary>
    public bool PackKernels { get; init; } = true;
    /// <summary>The input gradient is summed where it lands when at least this share of its FMAs is useful (the rest
    /// multiply zeros at the border or padding lanes); below, GEMM + col2im wins.</summary>
    public double FusedInputGradientMinEfficiency { get; init; } = 0.8;
    /// <summary>Forces the input gradient's path: true summed where it lands, false GEMM + col2im, null (the default)
    /// by <see cref="FusedInputGradientMinEfficiency"/>. Both give the same bits.</summary>
    public bool? FusedInputGradient { get; init; }
    /// <summary>A Winograd transform step runs on the calling thread below this many floats: waking a worker costs more.
    /// At 2^18, ResNet-18's 14×14×256 layers at batch 1 (200,704 floats a transform) ran theirs on one thread;
    /// split, each layer took about 530 → 490 µs on 2 threads. Which thread transforms a tile changes no bit.</summary>
    public long WinogradParallelMinFloats { get; init; } = 1 << 16;
    /// <summary>Inference runs Winograd layers by F(4×4, 3×3) where <see cref="Kernels.Convolution.PrefersWinogradF4"/>
    /// says so (36 multiplies per 16 outputs against F(2×2)'s 64); false keeps F(2×2, 3×3), whose results training
    /// shares (tests and benchmarks compare the two).</summary>
    public bool WinogradF4 { get; init; } = true;
    /// <summary>Fewest input channels for which a training step's forward pass and input gradient take Winograd
    /// (<see cref="Kernels.Convolution.PrefersWinogradTraining"/>, read when a layer plans its convolution). 64, as
    /// inference: from 24, airbench94's 31×31×24 layer trains 1–3% faster a step, but its whole recipe scored 0.9027,
    /// 0.9051 and 0.9035 (seeds 0–2, mean 0.9038) against 0.9089, 0.9080 and 0.9056 with 64, so the recipe waits for more evidence.</summary>
    public int WinogradTrainingMinChannels { get; init; } = 64;

    // Read by the layers and the model.

    /// <summary>A Winograd plan packs its transformed kernel into the GEMM's panels once per kernel (per training step),
    /// for its forward pass and for its input gradient, instead of in every product of every chunk; the panels then
    /// stand for the transforms, which live in a scratch of the thread's only while they are made (a plan sharing its
    /// transform with a model's replicas keeps it and packs in every product). Read when a plan is made.
    /// Never changes a bit; tests and benchmarks turn it off to compare.</summary>
    public bool WinogradPackedKernel { get; init; } = true;
    /// <summary>Inference runs Winograd only from this many images per call: below, the transforms cost more than the
    /// 16 small GEMMs save.</summary>
    public int WinogradMinBatch { get; init; } = 8;
    /// <summary>Inference runs Winograd at any batch on output maps of at least this many pixels (14×14): there each
    /// image alone has enough 2×2 tiles for the 16 GEMMs (ResNet-18 at 224 px, batch 1: 1.1–1.4× faster forward
    /// passes on its 56×56 and 28×28 layers; with its 14×14 layers too, the whole pass 0.80 → 0.86–0.99× ONNX
    /// Runtime's speed, alternating rounds; on 7×7 maps the whole pass is slower).</summary>
    public int WinogradMinPixels { get; init; } = 14 * 14;
    /// <summary>Inference folds a BatchNormalization into the convolution before it (and a Normalization into the one
    /// after it); tests turn it off to compare with the unfolded graph.</summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>Throws, naming the setting, for a value the kernels cannot run with.</summary>
    internal void Validate()
    {
        Positive(KcMax, nameof(KcMax));
        Positive(KcTarget, nameof(KcTarget));
        Positive(Mc, nameof(Mc));
        Positive(Nc, nameof(Nc));
        Positive(PartsPerThread, nameof(PartsPerThread));
        Positive(MinPanelsPerMPart, nameof(MinPanelsPerMPart));
        Positive(MinPanelsPerPackedMPart, nameof(MinPanelsPerPackedMPart));
        if (PackAMinN < 0) throw new ArgumentOutOfRangeException(nameof(PackAMinN), PackAMinN, $"{nameof(PackAMinN)} must be non-negative; got {PackAMinN}");
        if (WinogradMinPixels < 0) throw new ArgumentOutOfRangeException(nameof(WinogradMinPixels), WinogradMinPixels, $"{nameof(WinogradMinPixels)} must be non-negative; got {WinogradMinPixels}");
        Positive(WinogradTrainingMinChannels, nameof(WinogradTrainingMinChannels));
        if (WinogradMinBatch < 0) throw new ArgumentOutOfRangeException(nameof(WinogradMinBatch), WinogradMinBatch, $"{nameof(WinogradMinBatch)} must be non-negative; got {WinogradMinBatch}");
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}");
    }
}
