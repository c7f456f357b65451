namespace Fovea.Kernels;

/// <summary>What inference derives from the kernel and keeps (packed panels), and the forward passes that threads run
/// on their own images or rows once it is ready.</summary>
public sealed partial class Convolution
{
    private Memory<float> _packedKernel;
    private bool _packedKernelValid;

    /// <summary>Frees what the plan derived from the kernel (packed panels, Winograd transforms) and its scratch; the
    /// next pass derives and allocates them again. A trained model kept beside others that run.</summary>
    internal void ReleaseMemory()
    {
        (_packedKernel, _packedKernelValid) = (default, false);
        _winograd?.ReleaseMemory();
        (_winogradF4, _winogradF4Training) = (null, null);
        (_padded, _cols, _partials, _inputGradient) = ([], [], [], null);
    }

    /// <summary>The kernel packed into register-tile panels, packed again only when a call said it changed (or, held
    /// with other plans, when it is older than their stamp).</summary>
    private Memory<float> PackedKernel(ReadOnlyMemory<float> kernel)
    {
        int k = _g.PatchSize, f = Filters, length = (int)Sgemm.PackedPanelsLength(k, f);
        if (_shared is { } shared)
        {
            lock (shared)
            {
                if (shared.PackedStamp != shared.Stamp || shared.Packed.Length != length)
                {
                    if (shared.Packed.Length != length) shared.Packed = AlignedFloats(length);
                    Sgemm.PackPanels(kernel.Span, k, f, f, shared.Packed.Span);
                    shared.PackedStamp = shared.Stamp;
                }
                return _packedKernel = shared.Packed;
            }
        }
        if (!_packedKernelValid || _packedKernel.Length != length)
        {
            if (_packedKernel.Length != length) _packedKernel = AlignedFloats(length);
            Sgemm.PackPanels(kernel.Span, k, f, f, _packedKernel.Span);
            _packedKernelValid = true;
        }
        return _packedKernel;
    }

    /// <summary>
    /// Readies <see cref="ForwardOnThisThread"/> for an inference pass over slices of one batch and says whether it can
    /// run: the implicit GEMM on a packed kernel (packed here, once), with no padding to copy and no Winograd plan
    /// (their scratch is the plan's own). Otherwise the caller runs <see cref="Forward"/>.
    /// </summary>
    internal bool PrepareForwardOnThreads(ReadOnlyMemory<float> kernel, bool kernelUnchanged, bool allowWinograd)
    {
        var options = Engine.KernelOptions;
        bool anyPadding = _g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight > 0;
        if ((allowWinograd && WinogradFor(training: false)) || !options.ImplicitForward || !options.PackKernels || _g.IsPointwise || anyPadding)
            return false;
        if (!kernelUnchanged)
        {
            _packedKernelValid = false;
            _winograd?.KernelChanged();
            _winogradF4?.KernelChanged();
            _winogradF4Training?.KernelChanged();
        }
        PackedKernel(kernel);
        return true;
    }

    /// <summary>
    /// Inference's forward pass of <paramref name="batch"/> images on the calling thread alone, after
    /// <see cref="PrepareForwardOnThreads"/> said yes: touches no state of the plan, so several threads may each run
    /// their own images at once. The same dot products, hence the same bits, as <see cref="Forward"/>.
    /// </summary>
    internal void ForwardOnThisThread(Memory<float> output, ReadOnlyMemory<float> input, ReadOnlyMemory<float> kernel,
                                      ReadOnlyMemory<float> bias, bool relu, int batch) =>
        ForwardImplicit(output, input, kernel, bias, relu, batch, _packedKernel.Span, gelu: false, accumulate: false, threads: 1);

    /// <summary>
    /// Output rows [<paramref name="firstRow"/>, + <paramref name="rows"/>) of one image, on the calling thread, after
    /// <see cref="PrepareForwardOnThreads"/> said yes: the band of the input those rows read is itself an unpadded
    /// image, convolved as one. Each output is the same dot product as in <see cref="Forward"/>, so the same bits.
    /// </summary>
    internal unsafe void ForwardRowsOnThisThread(Span<float> output, ReadOnlySpan<float> image, int firstRow, int rows,
                                                 ReadOnlyMemory<float> kernel, ReadOnlyMemory<float> bias, bool relu)
    {
        var band = ConvGeometry.Valid((rows - 1) * _g.StrideHeight + _g.KernelHeight, _g.Width, _g.InChannels,
            _g.KernelHeight, _g.KernelWidth, _g.StrideHeight, _g.StrideWidth);
        int k = _g.PatchSize, f = Filters;
        fixed (float* source = image[(firstRow * _g.StrideHeight * _g.Width * _g.InChannels)..])
        {
            var patches = new PatchSource(source, band);
            Sgemm.MultiplyPatches(in patches, rows * _g.OutWidth, f, k, kernel.Span, f, output[..(rows * _g.OutWidth * f)], f,
                bias.Span, relu, threads: 1, _packedKernel.Span, gelu: false, Sgemm.InferenceKc(in patches, k));
        }
    }

    /// <summary>Floats that start on a 64-byte line (a pinned array that never moves), so that the micro-kernel's
    /// vector loads of the packed kernel never straddle two lines.</summary>
    private static unsafe Memory<float> AlignedFloats(int length)
    {
        var array = GC.AllocateArray<float>(length + 16, pinned: true);
        fixed (float* p = array)
        {
            int skip = (int)((64 - (nint)p % 64) % 64) / sizeof(float);
            return array.AsMemory(skip, length);
        }
    }
}
