using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// A 3×3 stride-1 convolution over NHWC batches by Winograd's F(2×2, 3×3) (see <see cref="WinogradInputTile"/>
/// for the transforms): the forward pass (bias and ReLU fused into the output transform), the input gradient and the
/// kernel gradient, planned once per layer like <see cref="Convolution"/>, which dispatches here for the shapes where
/// it is faster. A plan with <see cref="OutputTile"/> 4 runs F(4×4, 3×3) instead (<see cref="WinogradF4InputTile"/>):
/// the same stages with 6×6 input tiles and 36 positions; an inference plan transforms its kernel in double, once,
/// and computes the forward pass only, a training plan transforms it in float in every pass and computes the
/// gradients too (<see cref="WinogradF4KernelRow"/>).
/// <para>
/// Each pass transforms the kernel into U [16, C, F] (where the kernel changed; a plan of its own packs U into the
/// GEMM's panels at once and keeps only those, see <see cref="KernelOptions.WinogradPackedKernel"/>), then walks the output's 2×2 tiles (over the whole batch,
/// image by image, row by row) in chunks of <see cref="ChunkTiles"/>: the input tiles become V [tiles, 16, C], 16
/// SGEMMs give M_ξ = V_ξ · U_ξ [tiles, F] (stored as M [tiles, 16, F]), and the output transform writes the valid
/// outputs. Tile-major V and M let each transform read or write one contiguous block per tile (a third of the
/// transform time of ξ-major matrices, on airbench's shapes); the GEMMs read V_ξ and write M_ξ through a row
/// stride of 16·C. A chunk is any run of
/// tiles, not whole images, so the scratch (V and M) stays within the budget whatever the batch or image size.
/// The input gradient of a 3×3 stride-1 convolution is itself one: dz padded by 2 − pad on each side, convolved
/// with the kernel turned 180° and its C and F axes swapped, whose transform is U with the indices 0 and 3 of
/// each axis exchanged, read transposed (so the same U serves both passes). The kernel gradient is the adjoint:
/// dU_ξ = Σ_tiles V_ξᵀ · dM_ξ with dM = A dY Aᵀ, then Gᵀ dU G.
/// </para>
/// <para>
/// Determinism: every output depends only on its own tile, whose transforms are fixed sequences of adds and
/// whose GEMM dot products are ordered by C alone (the SGEMM splits only M and N, and each of the 16 GEMMs runs on
/// one thread). So results are bit-identical for any thread count, any chunk size and any batch size, and the
/// parts the transforms are split into only decide who computes what. The kernel gradient sums chunk by chunk, so
/// its bits follow the batch and the budget too, never the thread count (as <see cref="Convolution"/>'s).
/// </para>
/// Not thread-safe: one plan per layer, one pass at a time.
/// </summary>
public sealed partial class WinogradConvolution
{
    /// <summary>Floats of V and M per chunk (4 MB, as <see cref="Convolution.DefaultTileFloats"/>): at 256 channels a
    /// chunk holds 128 tiles, each GEMM 128×256×256. On airbench's layers 1 M floats measured as fast as 2 M and
    /// 512 K for the forward pass and input gradient, and faster than 2 M for the kernel gradient (bench --winograd
    /// --chunk: 1.50× against 1.26× at 7×7×256).</summary>
    public const int DefaultTileFloats = 1 << 20;

    /// <summary>Positions in a transformed tile: 4×4 for F(2×2, 3×3), 6×6 for F(4×4, 3×3).</summary>
    private readonly int _xi;
    /// <summary>Floats after each tile's 16 rows of V and M: a 64-byte shift, so that the GEMM's rows, 16·C apart, do not all map to the same cache sets.</summary>
    private const int RowPad = 16;

    private readonly ConvGeometry _g;
    private readonly Pass _forward, _backward;
    private readonly TransformWork _work;
    private readonly GemmWork _gemms;
    private float[] _u = [];        // [16, C, F]: the transformed kernel (with packed kernels: the thread's scratch)
    private float[] _uTurned = [];  // F(4×4) training: the transform of the kernel turned 180° (its input gradient's), likewise
    private float[] _du = [];       // the kernel gradient's dU [16, C, F], summed chunk by chunk: the thread's scratch
    private float[] _gemmU = [];    // which of the three the GEMMs of the running stage read or write
    private float[] _v = [];        // [ChunkTiles, 16·Cin + RowPad]: the transformed input tiles
    private float[] _m = [];        // [ChunkTiles, 16·Cout + RowPad]: their products with U
    private readonly float[] _zeros; // one pixel of zero channels: the padding every input tile reads

    /// <summary>Whether this plan handles the geometry: a 3×3 kernel at stride 1 with at most 2 pixels of padding
    /// on any side (the input gradient pads by 2 − pad).</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.PadTop <= 2 && g.PadLeft <= 2 && g.PadBottom <= 2 && g.PadRight <= 2;

    /// <param name="geometry">Input, kernel and padding of one image; must satisfy <see cref="Supports"/>.</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="tileFloats">Budget for V and M of one chunk; a chunk always holds at least one tile.</param>
    /// <param name="outputTile">2: F(2×2, 3×3); 4: F(4×4, 3×3).</param>
    /// <param name="training">For F(4×4, 3×3): the kernel transformed in float in every pass, and the gradients
    /// allowed; otherwise the forward pass only, with the kernel transformed in double (inference). F(2×2, 3×3)
    /// plans compute every pass either way.</param>
    public WinogradConvolution(ConvGeometry geometry, int filters, int tileFloats = DefaultTileFloats, int outputTile = 2, bool training = false)
    {
        if (outputTile is not (2 or 4)) throw new ArgumentOutOfRangeException(nameof(outputTile), $"outputTile must be 2 or 4; got {outputTile}");
        geometry.Validate();
        if (!Supports(geometry))
            throw new ArgumentException($"geometry must be a 3×3 kernel at stride 1 with padding at most 2; got {geometry}", nameof(geometry));
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"filters must be positive; got {filters}");
        if (tileFloats <= 0) throw new ArgumentOutOfRangeException(nameof(tileFloats), $"tileFloats must be positive; got {tileFloats}");
        var g = geometry;
        long inputFloats = (long)g.Height * g.Width * g.InChannels, kernelFloats = (long)(outputTile + 2) * (outputTile + 2) * g.InChannels * filters;
        if (Math.Max(inputFloats, kernelFloats) > int.MaxValue || (long)g.OutPixels * filters > int.MaxValue)
            throw new ArgumentException($"geometry must give one image fewer than 2³¹ input and output floats and a transformed kernel of fewer than 2³¹; got {geometry} with {filters} filters", nameof(geometry));
        _g = g;
        Filters = filters;
        OutputTile = outputTile;
        Trainable = outputTile == 2 || training;
        _xi = (outputTile + 2) * (outputTile + 2);
        int c = g.InChannels, f = filters;
        ChunkTiles = (int)Math.Clamp(tileFloats / ((long)_xi * (c + f)), 1, int.MaxValue / (_xi * Math.Max(c, f)));
        _forward = new Pass(g.Height, g.Width, c, g.OutHeight, g.OutWidth, f, g.PadTop, g.PadLeft, transposedU: false, outputTile);
        // dx [H, W, C] = dz [OH, OW, F] ⋆ rot180(kernel)ᵀ with pads 2 − pad: row ih reads dz rows ih + pt − 2 .. ih + pt.
        _backward = new Pass(g.OutHeight, g.OutWidth, f, g.Height, g.Width, c, 2 - g.PadTop, 2 - g.PadLeft, transposedU: true, outputTile);
        _zeros = new float[Math.Max(c, f)];
        _work = new TransformWork(this);
        _gemms = new GemmWork(this);
    }

    /// <summary>Input, kernel, strides and padding of one image.</summary>
    public ConvGeometry Geometry => _g;
    /// <summary>Output channels.</summary>
    public int Filters { get; }
    /// <summary>Output tiles per chunk of the batch.</summary>
    public int ChunkTiles { get; }
    /// <summary>The side of an output tile: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3).</summary>
    public int OutputTile { get; }
    /// <summary>Whether the plan computes the gradients (and, at F(4×4), transforms the kernel in float).</summary>
    public bool Trainable { get; }
    /// <summary>Floats of one output image: OH·OW·F.</summary>
    public int OutputSize => _g.OutPixels * Filters;
    /// <summary>Floats of the kernel: 3·3·C·F.</summary>
    public int KernelSize => _g.PatchSize * Filters;

    /// <summary>output = input ⋆ kernel + bias (+ <paramref name="residual"/>, of the output's shape, unless empty), then ReLU when <paramref name="relu"/>.</summary>
    public void Forward(
        Memory<float> output,           // [N, OH, OW, F]
        ReadOnlyMemory<float> input,    // [N, H, W, C]
        ReadOnlyMemory<float> kernel,   // [3, 3, C, F]
        ReadOnlyMemory<float> bias,     // [F] or empty
        bool relu, int batch, bool kernelUnchanged = false, ReadOnlyMemory<float> residual = default)
    {
        CheckBatch(batch);
        Check(output.Length, (long)batch * OutputSize, nameof(output), "batch·OH·OW·filters");
        Check(input.Length, (long)batch * _g.InputSize, nameof(input), "batch·H·W·C");
        Check(kernel.Length, KernelSize, nameof(kernel), "3·3·C·filters");
        if (!bias.IsEmpty && bias.Length != Filters)
            throw new ArgumentException($"bias must be empty or hold filters = {Filters} values; got {bias.Length}", nameof(bias));
        if (batch == 0) return;
        if (Shared is { } shared) UseSharedTransform(shared, kernel);
        else
        {
            // A caller running one batch in slices (inference's pooled chunks, a training step's shards) transforms
            // the kernel once, not per slice.
            if (!kernelUnchanged) _turnedKernelReady = false;
            if (!kernelUnchanged || !_forwardKernelReady) TransformKernel(kernel);
            _forwardKernelReady = true;
        }
        _gemmU = _u;
        Run(_forward, output, input, bias, relu, batch, residual);
    }

    /// <summary>inputGrad = the transposed convolution of dz with the kernel (overwritten, not accumulated).
    /// <paramref name="kernelUnchanged"/>: the kernel is the one of the last forward call (a training pass's own), so
    /// its transform is reused where this plan still holds it (from that pass, or an earlier shard of the same step).</summary>
    public void BackwardInput(
        Memory<float> inputGrad,        // [N, H, W, C]
        ReadOnlyMemory<float> outputGrad, // [N, OH, OW, F]: dz, after the activation's derivative
        ReadOnlyMemory<float> kernel,   // [3, 3, C, F]
        int batch, bool kernelUnchanged = false)
    {
        CheckBatch(batch);
        CheckTrainable();
        Check(inputGrad.Length, (long)batch * _g.InputSize, nameof(inputGrad), "batch·H·W·C");
        Check(outputGrad.Length, (long)batch * OutputSize, nameof(outputGrad), "batch·OH·OW·filters");
        Check(kernel.Length, KernelSize, nameof(kernel), "3·3·C·filters");
        if (batch == 0) return;
        if (OutputTile == 4)
        {
            // F(4×4)'s points do not map the turned kernel onto U: it has a transform of its own.
            if (!kernelUnchanged || !_turnedKernelReady)
            {
                int length = _xi * _g.InChannels * Filters;
                if (TransformsInScratch) _uTurned = Scratch(length);
                else if (_uTurned.Length == 0) _uTurned = new float[length];
                _work.Kernel(kernel, turned: true, _uTurned);
                _uTurnedStamp++;
                if (TransformsInScratch) PackNow(_backward, _uTurned);
                _turnedKernelReady = kernelUnchanged;
            }
            _gemmU = _uTurned;
        }
        else
        {
            // F(2×2) reads the forward transform, transposed; the readiness speaks for the last forward pass's kernel.
            if (!kernelUnchanged || !_forwardKernelReady)
            {
                TransformKernel(kernel);
                _forwardKernelReady = kernelUnchanged;
            }
            _gemmU = _u;
        }
        Run(_backward, inputGrad, outputGrad, ReadOnlyMemory<float>.Empty, relu: false, batch);
    }

    /// <summary>
    /// kernelGrad += Σ over the batch of the kernel gradient, accumulated (zeroing it is the caller's step):
    /// dU[ξ] = Σ_tiles V[ξ]ᵀ · dM[ξ] with dM = A dY Aᵀ the transformed output gradient, then kernelGrad += Gᵀ dU G.
    /// dU sums chunk after chunk, so, like <see cref="Convolution.BackwardKernel"/>, its rounding follows the chunk
    /// size (the budget) and the batch, never the thread count.
    /// </summary>
    public void BackwardKernel(
        Memory<float> kernelGrad,       // [3, 3, C, F], accumulated
        ReadOnlyMemory<float> outputGrad, // [N, OH, OW, F]: dz
        ReadOnlyMemory<float> input,    // [N, H, W, C]: the forward input
        int batch)
    {
        CheckBatch(batch);
        CheckTrainable();
        Check(kernelGrad.Length, KernelSize, nameof(kernelGrad), "3·3·C·filters");
        Check(outputGrad.Length, (long)batch * OutputSize, nameof(outputGrad), "batch·OH·OW·filters");
        Check(input.Length, (long)batch * _g.InputSize, nameof(input), "batch·H·W·C");
        if (batch == 0) return;
        // The first chunk's GEMMs write dU, the later ones add to it: no pass clearing it (4 MB a 256×256 layer, once a
        // shard) and the same sums as adding to zeros.
        _gemmU = _du = Scratch(_xi * _g.InChannels * Filters);
        var p = _forward;
        bool accumulate = false;
        foreach (int tiles in Chunks(p, batch, out long first))
        {
            _work.Input(p, input, first, tiles);
            _work.OutputGradient(p, outputGrad, first, tiles);
            _gemms.RunKernelGradient(p, tiles, accumulate);
            first += tiles;
            accumulate = true;
        }
        _work.KernelGradient(kernelGrad);
    }

    /// <summary>Inference's transformed kernel held with other plans of the same layer (a model's replicas), or null for
    /// the plan's own. Such a plan runs forward passes only: the gradients use U's storage as scratch.</summary>
    internal DerivedKernels? Shared { get; init; }

    /// <summary>U = the shared transform of the kernel, made here (under the holder's lock) when it is older than the
    /// holder's stamp.</summary>
    private void UseSharedTransform(DerivedKernels shared, ReadOnlyMemory<float> kernel)
    {
        int length = _xi * _g.InChannels * Filters;
        bool four = OutputTile == 4;
        lock (shared)
        {
            ref float[] u = ref four ? ref shared.Transformed4 : ref shared.Transformed2;
            ref long stamp = ref four ? ref shared.Transformed4Stamp : ref shared.Transformed2Stamp;
            if (u.Length != length) (u, stamp) = (new float[length], -1);
            _u = u;
            if (stamp == shared.Stamp) return;
            _work.Kernel(kernel, turned: false, _u);
            stamp = shared.Stamp;
        }
    }

    /// <summary>The kernel changed: the next pass transforms it whatever its caller promises.</summary>
    internal void KernelChanged() => (_forwardKernelReady, _turnedKernelReady) = (false, false);

    /// <summary>Frees the transformed kernels and the scratch; the next pass transforms and allocates them again.</summary>
    internal void ReleaseMemory()
    {
        (_u, _uTurned, _du, _gemmU, _v, _m, _forwardKernelReady, _turnedKernelReady) = ([], [], [], [], [], [], false, false);
        (_packedForward, _packedInputGradient, _packedForwardStamp, _packedInputGradientStamp) = ([], [], -1, -1);
    }

    private void EnsureU()
    {
        int length = _xi * _g.InChannels * Filters;
        if (TransformsInScratch) _u = Scratch(length);
        else if (_u.Length == 0) _u = new float[length];
    }

    /// <summary>U holds the transform of the kernel the last forward pass used; <see cref="_uTurned"/> likewise for
    /// F(4×4)'s input gradient (the backward passes' kernelUnchanged means that kernel, too).</summary>
    private bool _forwardKernelReady, _turnedKernelReady;

    /// <summary>U = the kernel's transform.</summary>
    private void TransformKernel(ReadOnlyMemory<float> kernel)
    {
        _forwardKernelReady = false;
        EnsureU();
        _work.Kernel(kernel, turned: false, _u);
        _uStamp++;
        if (!TransformsInScratch) return;
        PackNow(_forward, _u);
        if (Trainable && OutputTile == 2) PackNow(_backward, _u);
    }

    private void Run(Pass p, Memory<float> output, ReadOnlyMemory<float> input, ReadOnlyMemory<float> bias, bool relu, int batch,
                     ReadOnlyMemory<float> residual = default)
    {
        bool pack = PackedKernelFor(p, out var packed);
        try
        {
            foreach (int tiles in Chunks(p, batch, out long first))
            {
                _work.Input(p, input, first, tiles);
                (_gemms.Packed, _gemms.Pack) = (packed, pack);
                _gemms.Run(p, tiles);
                pack = false;   // the first chunk's products packed every ξ
                _work.Output(p, output, bias, relu, first, tiles, residual);
                first += tiles;
            }
        }
        finally { _gemms.Packed = null; }
    }


    /// <summary>Sizes the scratch for the batch and returns the tile count of each chunk in turn; the caller
    /// advances <paramref name="first"/> by each.</summary>
    private ChunkSizes Chunks(Pass p, int batch, out long first)
    {
        long total = (long)batch * p.TilesPerImage;
        int chunk = (int)Math.Min(ChunkTiles, total);
        int scratch = chunk * (_xi * Math.Max(_g.InChannels, Filters) + RowPad);
        if (_v.Length < scratch) (_v, _m) = (new float[scratch], new float[scratch]);
        first = 0;
        return new ChunkSizes(total, chunk);
    }

    /// <summary>The chunk sizes of a pass, as an allocation-free foreach.</summary>
    private struct ChunkSizes(long total, int chunk)
    {
        private long _done = -chunk;
        public readonly ChunkSizes GetEnumerator() => this;
        public readonly int Current => (int)Math.Min(chunk, total - _done);
        public bool MoveNext() => (_done += chunk) < total;
    }

    private void CheckTrainable()
    {
        if (Shared is not null) throw new InvalidOperationException("a Winograd plan sharing its transformed kernel runs forward passes only");
        if (!Trainable) throw new InvalidOperationException("this F(4×4, 3×3) plan computes the forward pass only: gradients need a plan made for training");
    }

    private static void CheckBatch(int batch)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be non-negative; got {batch}");
    }

    private static void Check(int length, long needed, string name, string what)
    {
        if (length < needed) throw new ArgumentException($"{name} must hold at least {what} = {needed} floats; got {length}", name);
    }

    /// <summary>
    /// One direction of the plan as a 3×3 stride-1 convolution: input [H, W, Cin] read from row 2·th − PadTop of
    /// tile row th (rows outside are zero), output [OH, OW, Cout] in 2×2 tiles, the last row/column of tiles
    /// partial when OH/OW is odd. U is read as [Cin, Cout] (forward) or, transposed, from position σ(ξ) (backward).
    /// </summary>
    private sealed class Pass(int height, int width, int inChannels, int outHeight, int outWidth, int outChannels,
                              int padTop, int padLeft, bool transposedU, int tile)
    {
        public readonly int Height = height, Width = width, InChannels = inChannels;
        public readonly int OutHeight = outHeight, OutWidth = outWidth, OutChannels = outChannels;
        public readonly int PadTop = padTop, PadLeft = padLeft;
        public readonly bool TransposedU = transposedU;
        public readonly int Tile = tile, TileRows = (outHeight + tile - 1) / tile, TileColumns = (outWidth + tile - 1) / tile;
        public int TilesPerImage => TileRows * TileColumns;
        public int InputSize => Height * Width * InChannels;
        public int OutputSize => OutHeight * OutWidth * OutChannels;
    }

    /// <summary>The products M_ξ = V_ξ · U_ξ of a chunk (16 for F(2×2), 36 for F(4×4)), one single-threaded SGEMM per part: bigger than any
    /// split of one GEMM, and with 16 parts the two threads stay busy without a barrier between GEMMs.</summary>
    private sealed class GemmWork(WinogradConvolution plan) : IParallelWork
    {
        /// <summary>σ: the position of the 180°-turned kernel's transform, indices 0 and 3 exchanged on both axes.</summary>
        private static readonly int[] Turned = [15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0];

        private Pass? _pass;
        private int _tiles;
        private bool _kernelGradient, _accumulate;

        /// <summary>The forward or input-gradient products' B packed per ξ (null: packed by each product), and whether
        /// this run packs it first.</summary>
        public float[]? Packed;
        public bool Pack;

        /// <summary>dU_ξ [C, F] (+)= V_ξᵀ · dM_ξ over the chunk's tiles, with the forward pass <paramref name="p"/>:
        /// added to dU when <paramref name="accumulate"/>, else written over it.</summary>
        public void RunKernelGradient(Pass p, int tiles, bool accumulate)
        {
            (_kernelGradient, _accumulate) = (true, accumulate);
            try { Run(p, tiles); }
            finally { _kernelGradient = false; }
        }

        public void Run(Pass p, int tiles)
        {
            (_pass, _tiles) = (p, tiles);
            try
            {
                // Small products (batch 1) on the calling thread, as the SGEMM decides for each of them alone.
                int positions = plan._xi;
                if ((long)tiles * p.InChannels * p.OutChannels < Engine.KernelOptions.ParallelMinMacs)
                    for (int xi = 0; xi < positions; xi++) Execute(xi);
                else WorkerPool.Shared.Run(this, positions);
            }
            finally { _pass = null; }
        }

        /// <summary>The B of ξ's product in pass <paramref name="p"/>, as stored in the transform <paramref name="u"/>
        /// [ξ, C, F], and its row stride: U_ξ (forward), or U_σ(ξ) read transposed (input gradient; σ the identity at
        /// F(4×4), whose U there is the turned kernel's own transform).</summary>
        private static (ReadOnlyMemory<float> U, int Ldu) Source(Pass p, float[] u, int xi)
        {
            int cin = p.InChannels, cout = p.OutChannels, kernelFloats = cin * cout;
            int position = p.TransposedU && p.Tile == 2 ? Turned[xi] : xi;
            return (u.AsMemory(position * kernelFloats, kernelFloats), p.TransposedU ? cin : cout);
        }

        /// <summary>ξ's panels of pass <paramref name="p"/>'s B into <paramref name="packed"/>.</summary>
        public static void PackPanel(Pass p, float[] u, float[] packed, int xi)
        {
            var (source, ldu) = Source(p, u, xi);
            int length = PackedLength(p);
            Sgemm.PackPanels(source.Span, p.InChannels, p.OutChannels, ldu, packed.AsSpan(xi * length, length), transB: p.TransposedU);
        }

        public void Execute(int xi)
        {
            var p = _pass!;
            int cin = p.InChannels, cout = p.OutChannels, t = _tiles, kernelFloats = cin * cout;
            int ldv = plan._xi * cin + RowPad, ldm = plan._xi * cout + RowPad;
            var v = plan._v.AsSpan(xi * cin, (t - 1) * ldv + cin);
            var m = plan._m.AsSpan(xi * cout, (t - 1) * ldm + cout);
            if (_kernelGradient)
            {
                // dU_ξ [C, F] (+)= V_ξ [t, C]ᵀ · dM_ξ [t, F]
                var du = plan._gemmU.AsSpan(xi * kernelFloats, kernelFloats);
                Sgemm.Multiply(cin, cout, t, v, ldv, true, m, ldm, false, du, cout, accumulate: _accumulate);
            }
            else
            {
                // Forward: M_ξ [t, F] = V_ξ [t, C] · U_ξ. Input gradient: M_ξ [t, C] = V_ξ [t, F] · U_σ(ξ)ᵀ, with U_σ(ξ)
                // stored [C, F] (σ the identity at F(4×4), whose U holds the turned kernel's own transform).
                if (Packed is { } packed)
                {
                    // Packed once per transform (when it was made, or ξ by ξ on the first chunk): the same values, so
                    // the same bits.
                    if (Pack) PackPanel(p, plan._gemmU, packed, xi);
                    int length = PackedLength(p);
                    Sgemm.MultiplyPacked(t, cout, cin, v, ldv, packed.AsSpan(xi * length, length), m, ldm);
                }
                else
                {
                    var (u, ldu) = Source(p, plan._gemmU, xi);
                    Sgemm.Multiply(t, cout, cin, v, ldv, false, u.Span, ldu, p.TransposedU, m, ldm);
                }
            }
        }
    }
}
