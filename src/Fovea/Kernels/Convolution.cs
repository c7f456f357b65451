namespace Fovea.Kernels;

/// <summary>
/// A 2-D convolution over NHWC batches, planned once per layer for one geometry and filter count: the forward pass
/// (bias and ReLU fused), the input gradient and the kernel gradient, each as im2col + the packed <see cref="Sgemm"/>.
/// <para>
/// The batch is cut into tiles of whole images whose patch matrix fits a budget (<see cref="TileImages"/>), so the
/// scratch is the same at batch 64 and 1024 (a whole-batch im2col of airbench's first 3×3 layer needs ~850 MB at
/// 1024), and whole images let col2im fold each image on its own. Each tile is unfolded with its images split
/// across the worker pool, then multiplied by the parallel SGEMM.
/// </para>
/// <para>
/// Determinism: tiles run in a fixed order and their size depends on the geometry and budget only, so every pass
/// is bit-identical for any thread count. The forward pass and the input gradient do not even depend on the
/// budget (each output is one SGEMM dot product over a patch, whatever the tile); the kernel gradient sums tile
/// by tile, so its rounding follows the budget.
/// </para>
/// 1×1 stride-1 convolutions skip im2col: the NHWC input already is the patch matrix. 3×3 stride-1 convolutions
/// with enough channels run by Winograd F(2×2, 3×3) instead (<see cref="WinogradConvolution"/>): inference's forward
/// pass where <see cref="PrefersWinograd"/> says so, a training step's forward pass and input gradient where
/// <see cref="PrefersWinogradTraining"/> does, the kernel gradient where <see cref="PrefersWinogradKernelGradient"/>
/// does. All are fixed rules on the geometry, so the choice, and hence
/// the bits, never depend on timing or the batch; Winograd's results are bit-identical for any thread count too (its
/// forward pass and input gradient for any batch and budget as well), but round differently from im2col.
/// Not thread-safe: one plan per layer, one pass at a time.
/// </summary>
public sealed partial class Convolution
{
    /// <summary>Patch-matrix floats per tile (4 MB): each tile is still a GEMM of thousands of rows that both threads
    /// split well, and it stays in the last-level cache between im2col and the GEMM. On the airbench shapes 1 M
    /// floats measured as fast as 2 M and faster than 4 M (bench --conv --tile).</summary>
    public const int DefaultTileFloats = 1 << 20;

    /// <summary>Fixed number of partial kernel gradients in the split-k path, independent of the thread count.</summary>
    internal const int SplitKParts = 8;

    private readonly ConvGeometry _g;
    private readonly int _patchFloats;   // one image's im2col matrix: OH·OW × KH·KW·C
    private readonly TileWork _tiles;
    private readonly SplitKernelGradient _split;
    private float[] _cols = [];          // [TileImages·OH·OW, KH·KW·C], grown to the largest tile used
    private float[] _partials = [];      // [SplitKParts, KH·KW·C, F], split-k path only
    private readonly WinogradConvolution? _winograd;   // forward and input gradient, when chosen
    private WinogradConvolution? _winogradF4;          // inference's forward pass, made on first use where preferred
    private WinogradConvolution? _winogradF4Training;  // training's passes under WinogradUse.AlwaysF4, likewise
    private readonly int _winogradTileFloats;
    private readonly bool _inferenceF4;
    private readonly bool _winogradInference;          // and inference's forward pass (PrefersWinograd)
    private readonly bool _winogradKernelGradient;     // and the kernel gradient too
    private readonly bool _winogradForced;             // by the caller (tests, benchmarks): every pass, whatever Engine.Winograd says
    private readonly DerivedKernels? _shared;          // inference's packed and transformed kernels, held with other plans

    /// <param name="geometry">Input, kernel, strides and padding of one image; validated here.</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="tileFloats">Budget for one tile's patch matrix; a tile always holds at least one image.</param>
    public Convolution(ConvGeometry geometry, int filters, int tileFloats = DefaultTileFloats)
        : this(geometry, filters, tileFloats, ConvolutionAlgorithm.Auto)
    {
    }

    /// <param name="algorithm">Forces im2col or Winograd (tests, benchmarks); Winograd throws for a geometry it does not support.</param>
    /// <param name="winogradTileFloats">The Winograd plan's chunk budget (<see cref="WinogradConvolution.DefaultTileFloats"/>).</param>
    /// <param name="inferenceF4">false keeps inference on F(2×2, 3×3) where <see cref="PrefersWinogradF4"/> would take
    /// F(4×4, 3×3) (checks that need F(2×2)'s exact sums on integers).</param>
    /// <param name="geometry">Input, kernel, strides and padding of one image; validated here.</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="tileFloats">Budget for one tile's patch matrix; a tile always holds at least one image.</param>
    /// <param name="shared">Inference's derived kernels held with other plans of the same layer (a model's replicas), or
    /// null for the plan's own: such a plan runs forward passes only.</param>
    internal Convolution(ConvGeometry geometry, int filters, int tileFloats, ConvolutionAlgorithm algorithm,
                         int winogradTileFloats = WinogradConvolution.DefaultTileFloats, bool inferenceF4 = true,
                         DerivedKernels? shared = null)
    {
        geometry.Validate();
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"filters must be positive; got {filters}");
        if (tileFloats <= 0) throw new ArgumentOutOfRangeException(nameof(tileFloats), $"tileFloats must be positive; got {tileFloats}");
        // One image's tensors and im2col matrix are indexed with int.
        long patchFloats = (long)geometry.OutPixels * geometry.PatchSize, inputFloats = (long)geometry.Height * geometry.Width * geometry.InChannels;
        if (Math.Max(patchFloats, inputFloats) > int.MaxValue || (long)geometry.OutPixels * filters > int.MaxValue)
            throw new ArgumentException($"geometry must give one image fewer than 2³¹ patch, input and output floats; got {geometry} with {filters} filters", nameof(geometry));
        _g = geometry;
        Filters = filters;
        _patchFloats = geometry.OutPixels * geometry.PatchSize;
        // Pointwise needs no scratch, so its "tile" is the whole batch.
        TileImages = geometry.IsPointwise ? int.MaxValue : Math.Max(1, tileFloats / _patchFloats);
        _tiles = new TileWork(this);
        _split = new SplitKernelGradient(this);
        _winogradTileFloats = winogradTileFloats;
        _inferenceF4 = inferenceF4;
        _shared = shared;
        bool winograd = algorithm switch
        {
            ConvolutionAlgorithm.Winograd => true,
            ConvolutionAlgorithm.Im2Col => false,
            _ => PrefersWinogradTraining(geometry, filters),
        };
        if (winograd)
        {
            _winograd = new WinogradConvolution(geometry, filters, winogradTileFloats) { Shared = shared };
            _winogradForced = algorithm == ConvolutionAlgorithm.Winograd;
            _winogradInference = _winogradForced || PrefersWinograd(geometry, filters);
            _winogradKernelGradient = _winogradForced || PrefersWinogradKernelGradient(geometry, filters);
        }
    }

    /// <summary>The Winograd plan of a pass: F(4×4, 3×3) where preferred and allowed (in training only under
    /// <see cref="WinogradUse.AlwaysF4"/>, by <see cref="PrefersWinogradF4Training"/>; under
    /// <see cref="WinogradUse.AlwaysF4Forward"/> not for the <paramref name="kernelGradient"/>), else F(2×2, 3×3).</summary>
    private WinogradConvolution PlanFor(bool training, bool kernelGradient = false)
    {
        if (_winogradForced || !Engine.KernelOptions.WinogradF4 || !PrefersWinogradF4(_g, Filters)) return _winograd!;
        if (training)
            return (Engine.Winograd == WinogradUse.AlwaysF4 || (Engine.Winograd == WinogradUse.AlwaysF4Forward && !kernelGradient))
                   && PrefersWinogradF4Training(_g, Filters)
                ? _winogradF4Training ??= new WinogradConvolution(_g, Filters, _winogradTileFloats, outputTile: 4, training: true)
                : _winograd!;
        if (!_inferenceF4) return _winograd!;
        return _winogradF4 ??= new WinogradConvolution(_g, Filters, _winogradTileFloats, outputTile: 4) { Shared = _shared };
    }

    private bool WinogradFor(bool training) => _winograd is not null
        && (_winogradForced || (training ? Engine.Winograd >= WinogradUse.Always : _winogradInference && Engine.Winograd != WinogradUse.Never));

    /// <summary>Input, kernel, strides and padding of one image.</summary>
    public ConvGeometry Geometry => _g;
    /// <summary>Output channels.</summary>
    public int Filters { get; }
    /// <summary>Images per tile (int.MaxValue for pointwise convolutions, which need no patch matrix).</summary>
    public int TileImages { get; }
    /// <summary>Whether inference's forward pass runs by Winograd where <see cref="Engine.Winograd"/> allows (<see cref="PrefersWinograd"/>).</summary>
    public bool UsesWinograd => _winogradInference;
    /// <summary>Whether a training step's forward pass and input gradient run by Winograd F(2×2, 3×3) where
    /// <see cref="Engine.Winograd"/> allows (<see cref="PrefersWinogradTraining"/>).</summary>
    public bool UsesWinogradTraining => _winograd is not null;
    /// <summary>Whether the kernel gradient runs by Winograd too.</summary>
    public bool UsesWinogradKernelGradient => _winogradKernelGradient;
    /// <summary>Floats of one output image: OH·OW·F.</summary>
    public int OutputSize => _g.OutPixels * Filters;
    /// <summary>Floats of the kernel: KH·KW·C·F.</summary>
    public int KernelSize => _g.PatchSize * Filters;

    /// <summary>output = input ⋆ kernel + bias, then ReLU when <paramref name="relu"/> or the exact GELU when
    /// <paramref name="gelu"/> (inference fuses a following GELU layer: on the implicit GEMM, each part's block of
    /// output while it is in cache; the same values as the layer). <paramref name="kernelUnchanged"/>:
    /// the caller promises the kernel is the one of the previous forward call (slices of one batch), so Winograd's
    /// transform of it is reused. <paramref name="training"/>: a training step's forward pass, which uses Winograd only
    /// when <see cref="Engine.Winograd"/> is <see cref="WinogradUse.Always"/>. <paramref name="allowWinograd"/>: false
    /// keeps this call on the implicit GEMM (the caller's choice by batch size). <paramref name="residual"/> (same shape
    /// as the output, or empty): summed in before the activation, a residual block's join; on the implicit GEMM the
    /// output starts as a copy of it and the GEMM adds into it, so it rounds differently from an Add after the
    /// convolution in the last bits (by Winograd it is summed after the bias, as the Add layer does).</summary>
    public void Forward(
        Memory<float> output,           // [N, OH, OW, F]
        ReadOnlyMemory<float> input,    // [N, H, W, C]
        ReadOnlyMemory<float> kernel,   // [KH, KW, C, F]
        ReadOnlyMemory<float> bias,     // [F] or empty
        bool relu, int batch, bool kernelUnchanged = false, bool training = true, bool allowWinograd = true, bool gelu = false,
        ReadOnlyMemory<float> residual = default)   // [N, OH, OW, F] or empty
    {
        CheckBatch(batch);
        Check(output.Length, (long)batch * OutputSize, nameof(output), "batch·OH·OW·filters");
        Check(input.Length, (long)batch * _g.InputSize, nameof(input), "batch·H·W·C");
        Check(kernel.Length, KernelSize, nameof(kernel), "KH·KW·C·filters");
        if (!bias.IsEmpty && bias.Length != Filters)
            throw new ArgumentException($"bias must be empty or hold filters = {Filters} values; got {bias.Length}", nameof(bias));
        // What each path derived from the kernel (Winograd's transform, the packed panels) was derived from the kernel
        // the last call that said it had changed, or an earlier one: stale for every path once a call says so.
        if (!kernelUnchanged)
        {
            _packedKernelValid = false;
            _winograd?.KernelChanged();
            _winogradF4?.KernelChanged();
            _winogradF4Training?.KernelChanged();
        }
        if (gelu && relu) throw new ArgumentException("a convolution applies ReLU or GELU, not both", nameof(gelu));
        bool add = !residual.IsEmpty;
        if (add)
        {
            Check(residual.Length, (long)batch * OutputSize, nameof(residual), "batch·OH·OW·filters");
            if (gelu) throw new ArgumentException("a residual is summed before a ReLU, not a GELU", nameof(residual));
            if (residual.Span.Overlaps(output.Span)) throw new ArgumentException("residual must not share the output's memory", nameof(residual));
        }
        var all = output.Span[..(batch * OutputSize)];
        if (allowWinograd && WinogradFor(training))
        {
            PlanFor(training).Forward(output, input, kernel, bias, relu, batch, kernelUnchanged, residual);
            if (gelu) Gelu.Forward(all, all);
            return;
        }
        // The implicit GEMM and the GEMM add into the output: it starts as the residual.
        if (add) residual.Span[..all.Length].CopyTo(all);
        int k = _g.PatchSize, f = Filters;
        var options = Engine.KernelOptions;
        if (options.ImplicitForward && !_g.IsPointwise)
        {
            // At inference the kernel is packed once and kept while it is unchanged.
            ReadOnlySpan<float> packed = !training && options.PackKernels ? PackedKernel(kernel).Span : default;
            ForwardImplicit(output, input, kernel, bias, relu, batch, packed, gelu, add, Engine.Threads);
            return;
        }
        for (int first = 0; first < batch; first += TileImages)
        {
            int images = Math.Min(TileImages, batch - first), rows = images * _g.OutPixels;
            var patches = Patches(input, first, images);
            // out[rows, F] = patches[rows, KH·KW·C] · kernel[KH·KW·C, F] + bias (+ relu)
            Sgemm.Multiply(rows, f, k, patches.Span, k, false, kernel.Span, f, false,
                output.Span.Slice(first * OutputSize, rows * f), f, accumulate: add, bias: bias.Span, relu: relu, threads: Engine.Threads);
        }
        if (gelu) Gelu.Forward(all, all);
    }

    /// <summary>
    /// Whether summing the input gradient where it lands beats the GEMM + col2im, from the geometry: the fused
    /// kernel multiplies zeros for taps that fall outside the output across a row (the kernel rows outside it, at
    /// the top and bottom, it skips where a tile's six pixels share them: input rows 12 pixels wide or more) and pads
    /// the channels to whole register panels, while the GEMM pays for writing and reading back the patch-gradient
    /// matrix. Both give the same bits. The tutorial's 3×3 'valid' layer on 15×15×32, alternating in one process
    /// (2026-12-07, Zen 5, one thread, 32 images): fused with the skip 99–126 GFLOPS, GEMM + col2im 65–101.
    /// </summary>
    internal static bool PrefersFusedInputGradient(in ConvGeometry g)
    {
        double rows = g.Width >= 12 ? 1 : ValidTaps(g.Height, g.OutHeight, g.KernelHeight, g.StrideHeight, g.PadTop);
        double validTaps = rows * ValidTaps(g.Width, g.OutWidth, g.KernelWidth, g.StrideWidth, g.PadLeft);
        int nr = Sgemm.PanelWidth;
        double lanes = (double)g.InChannels / ((g.InChannels + nr - 1) / nr * nr);
        return validTaps * lanes >= Engine.KernelOptions.FusedInputGradientMinEfficiency;
    }

    /// <summary>Along one axis, the share of (input position, tap) pairs that read an output position.</summary>
    private static double ValidTaps(int size, int outSize, int kernel, int stride, int pad)
    {
        long valid = 0;
        for (int o = 0; o < outSize; o++)
            for (int k = 0; k < kernel; k++)
                if ((uint)(o * stride - pad + k) < (uint)size) valid++;
        return (double)valid / ((long)size * kernel);
    }

    private float[] _padded = [];   // [TileImages, H + pads, W + pads, C]: a tile with its zero border
    private ConvolutionInputGradient? _inputGradient;

    /// <summary>One tile of the kernel gradient with the patches read in place (<see cref="Sgemm.MultiplyPatchesTransposed"/>):
    /// the same tiles, parts and sums as the unfolded path, so the same bits.</summary>
    private unsafe void BackwardKernelImplicit(Memory<float> kernelGrad, ReadOnlyMemory<float> dz, ReadOnlyMemory<float> input,
                                               int first, int images, bool splitK)
    {
        int k = _g.PatchSize, f = Filters, rows = images * _g.OutPixels;
        bool padded = PadTile(input, first, images);
        fixed (float* source = padded ? _padded : input.Span[(first * _g.InputSize)..])
        {
            var patches = new PatchSource(source, _g);
            if (splitK) _split.Run(patches, dz, rows);
            else Sgemm.MultiplyPatchesTransposed(in patches, 0, k, f, rows, dz.Span, f, kernelGrad.Span[..KernelSize], f,
                                                 accumulate: true, threads: Engine.Threads);
        }
    }

    /// <summary>For a padded geometry, copies images first.. into the zero-bordered scratch and returns true.</summary>
    private bool PadTile(ReadOnlyMemory<float> input, int first, int images)
    {
        if (_g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight == 0) return false;
        int paddedSize = (_g.Height + _g.PadTop + _g.PadBottom) * (_g.Width + _g.PadLeft + _g.PadRight) * _g.InChannels;
        if (_padded.Length < (long)images * paddedSize) _padded = new float[images * paddedSize];
        _tiles.Pad(input, first, images);
        return true;
    }

    /// <summary>
    /// The forward pass as an implicit GEMM: each register tile reads its six patches straight from the images
    /// (<see cref="Sgemm.MultiplyPatches"/>). A padded geometry first copies the tile into a zero-bordered scratch,
    /// a few percent of the patch matrix it replaces (1/9 of it for a 3×3 kernel, less with the border); an
    /// unpadded one reads the input itself, whole batch at once.
    /// </summary>
    private unsafe void ForwardImplicit(Memory<float> output, ReadOnlyMemory<float> input, ReadOnlyMemory<float> kernel,
                                        ReadOnlyMemory<float> bias, bool relu, int batch, ReadOnlySpan<float> packedKernel, bool gelu,
                                        bool accumulate, int threads)
    {
        int k = _g.PatchSize, f = Filters;
        bool anyPadding = _g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight > 0;
        int tile = anyPadding ? TileImages : Math.Max(batch, 1);
        for (int first = 0; first < batch; first += tile)
        {
            int images = Math.Min(tile, batch - first), rows = images * _g.OutPixels;
            bool padded = PadTile(input, first, images);
            fixed (float* source = padded ? _padded : input.Span[(first * _g.InputSize)..])
            {
                var patches = new PatchSource(source, _g);
                // Inference (a packed kernel) may take its k blocks by kernel row, to skip the padded ones.
                int kc = packedKernel.IsEmpty ? 0 : Sgemm.InferenceKc(in patches, k);
                Sgemm.MultiplyPatches(in patches, rows, f, k, kernel.Span, f, output.Span.Slice(first * OutputSize, rows * f), f,
                    bias.Span, relu, threads, packedKernel, gelu, kc, accumulate);
            }
        }
    }

    /// <summary>inputGrad = the transposed convolution of dz with the kernel (overwritten, not accumulated).
    /// <paramref name="kernelUnchanged"/>: the kernel is the one of the last forward call (a training pass's own), so
    /// Winograd may reuse its transform.</summary>
    public void BackwardInput(
        Memory<float> inputGrad,        // [N, H, W, C]
        ReadOnlyMemory<float> outputGrad, // [N, OH, OW, F]: dz, after the activation's derivative
        ReadOnlyMemory<float> kernel,   // [KH, KW, C, F]
        int batch, bool kernelUnchanged = false)
    {
        CheckBatch(batch);
        Check(inputGrad.Length, (long)batch * _g.InputSize, nameof(inputGrad), "batch·H·W·C");
        Check(outputGrad.Length, (long)batch * OutputSize, nameof(outputGrad), "batch·OH·OW·filters");
        Check(kernel.Length, KernelSize, nameof(kernel), "KH·KW·C·filters");
        if (WinogradFor(training: true))
        {
            PlanFor(training: true).BackwardInput(inputGrad, outputGrad, kernel, batch, kernelUnchanged);
            return;
        }
        int k = _g.PatchSize, f = Filters;
        var options = Engine.KernelOptions;
        if (options.ImplicitForward && !_g.IsPointwise && (options.FusedInputGradient ?? PrefersFusedInputGradient(_g)))
        {
            _inputGradient ??= new ConvolutionInputGradient(_g, f);
            _inputGradient.Run(inputGrad.Span[..(batch * _g.InputSize)], outputGrad.Span[..(batch * OutputSize)], kernel.Span[..KernelSize], batch);
            return;
        }
        for (int first = 0; first < batch; first += TileImages)
        {
            int images = Math.Min(TileImages, batch - first), rows = images * _g.OutPixels;
            var dz = outputGrad.Span.Slice(first * OutputSize, rows * f);
            // dpatches[rows, KH·KW·C] = dz[rows, F] · kernelᵀ; pointwise, the patches are the input itself.
            if (_g.IsPointwise)
            {
                Sgemm.Multiply(rows, k, f, dz, f, false, kernel.Span, f, true,
                    inputGrad.Span.Slice(first * _g.InputSize, rows * k), k, threads: Engine.Threads);
                continue;
            }
            EnsureCols(images);
            Sgemm.Multiply(rows, k, f, dz, f, false, kernel.Span, f, true, _cols.AsSpan(0, rows * k), k, threads: Engine.Threads);
            _tiles.Fold(inputGrad, first, images);
        }
    }

    /// <summary>kernelGrad += Σ over the batch of patchᵀ · dz (accumulated, so zeroing it is the caller's step).</summary>
    public void BackwardKernel(
        Memory<float> kernelGrad,       // [KH, KW, C, F], accumulated
        ReadOnlyMemory<float> outputGrad, // [N, OH, OW, F]: dz
        ReadOnlyMemory<float> input,    // [N, H, W, C]: the forward input
        int batch)
    {
        CheckBatch(batch);
        Check(kernelGrad.Length, KernelSize, nameof(kernelGrad), "KH·KW·C·filters");
        Check(outputGrad.Length, (long)batch * OutputSize, nameof(outputGrad), "batch·OH·OW·filters");
        Check(input.Length, (long)batch * _g.InputSize, nameof(input), "batch·H·W·C");
        if (_winogradKernelGradient && WinogradFor(training: true))
        {
            PlanFor(training: true, kernelGradient: true).BackwardKernel(kernelGrad, outputGrad, input, batch);
            return;
        }
        int k = _g.PatchSize, f = Filters;
        var options = Engine.KernelOptions;
        bool splitK = KernelSize <= options.SplitKMaxFloats;
        if (splitK)
        {
            if (_partials.Length < SplitKParts * KernelSize) _partials = new float[SplitKParts * KernelSize];
            _partials.AsSpan(0, SplitKParts * KernelSize).Clear();
        }
        for (int first = 0; first < batch; first += TileImages)
        {
            int images = Math.Min(TileImages, batch - first), rows = images * _g.OutPixels;
            var dz = outputGrad.Slice(first * OutputSize, rows * f);
            if (options.ImplicitForward && !_g.IsPointwise)
            {
                BackwardKernelImplicit(kernelGrad, dz, input, first, images, splitK);
                continue;
            }
            var patches = Patches(input, first, images);
            // dkernel[KH·KW·C, F] += patchesᵀ · dz[rows, F]
            if (splitK) _split.Run(patches, dz, rows);
            else Sgemm.Multiply(k, f, rows, patches.Span, k, true, dz.Span, f, false, kernelGrad.Span[..KernelSize], f,
                                accumulate: true, threads: Engine.Threads);
        }
        if (splitK)
        {
            // Partials added in part order: the same sum whichever thread computed each.
            var grad = kernelGrad.Span[..KernelSize];
            for (int p = 0; p < SplitKParts; p++)
                System.Numerics.Tensors.TensorPrimitives.Add(grad, _partials.AsSpan(p * KernelSize, KernelSize), grad);
        }
    }

    /// <summary>The patch matrix [images·OH·OW, KH·KW·C] of images first.. of the input: unfolded into the scratch,
    /// or, pointwise, the input itself.</summary>
    private ReadOnlyMemory<float> Patches(ReadOnlyMemory<float> input, int first, int images)
    {
        if (_g.IsPointwise) return input.Slice(first * _g.InputSize, images * _g.InputSize);
        EnsureCols(images);
        _tiles.Unfold(input, first, images);
        return _cols.AsMemory(0, images * _patchFloats);
    }

    /// <summary>Grows the scratch to a tile of this many images: once, on the first (largest) batch.</summary>
    private void EnsureCols(int images)
    {
        if (_cols.Length < (long)images * _patchFloats) _cols = new float[images * _patchFloats];
    }

    private static void CheckBatch(int batch)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be non-negative; got {batch}");
    }

    private static void Check(int length, long needed, string name, string what)
    {
        if (length < needed) throw new ArgumentException($"{name} must hold at least {what} = {needed} floats; got {length}", name);
    }
}
