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
    /// Readies <see cref="ForwardOnThisThread"/> and <see cref="ForwardRowsOnThisThread"/> for an inference pass over
    /// slices of one batch and says whether they can run: the implicit GEMM on a packed kernel (packed here, once), and
    /// no Winograd plan (its scratch is the plan's own). A padded geometry pads each image or band in a scratch of the
    /// thread's. Otherwise the caller runs <see cref="Forward"/>.
    /// </summary>
    internal bool PrepareForwardOnThreads(ReadOnlyMemory<float> kernel, bool kernelUnchanged, bool allowWinograd)
    {
        var options = Engine.KernelOptions;
        // A band of rows reads at least one row of the image when the first and last output rows do.
        bool bandsRead = _g.PadTop < _g.KernelHeight && _g.PadBottom < _g.KernelHeight;
        if ((allowWinograd && WinogradFor(training: false)) || !options.ImplicitForward || !options.PackKernels || _g.IsPointwise || !bandsRead)
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
    /// their own images at once (a padded geometry image by image, each padded in the thread's scratch). The same dot
    /// products, hence the same bits, as <see cref="Forward"/>.
    /// </summary>
    internal void ForwardOnThisThread(Memory<float> output, ReadOnlyMemory<float> input, ReadOnlyMemory<float> kernel,
                                      ReadOnlyMemory<float> bias, bool relu, int batch)
    {
        if (_g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight == 0)
        {
            ForwardImplicit(output, input, kernel, bias, relu, batch, _packedKernel.Span, gelu: false, accumulate: false, threads: 1);
            return;
        }
        for (int n = 0; n < batch; n++)
            ForwardRowsOnThisThread(output.Span.Slice(n * OutputSize, OutputSize), input.Span.Slice(n * _g.InputSize, _g.InputSize),
                0, _g.OutHeight, kernel, bias, relu);
    }

    /// <summary>
    /// Output rows [<paramref name="firstRow"/>, + <paramref name="rows"/>) of one image, on the calling thread, after
    /// <see cref="PrepareForwardOnThreads"/> said yes: the band of the input those rows read is convolved as an image
    /// of its own, with the top or bottom padding only where the band meets the image's edge. A padded geometry's band
    /// is first copied into a zero-bordered scratch of the thread's, as the whole image would be. Each output is the
    /// same dot product as in <see cref="Forward"/>, so the same bits.
    /// </summary>
    internal unsafe void ForwardRowsOnThisThread(Span<float> output, ReadOnlySpan<float> image, int firstRow, int rows,
                                                 ReadOnlyMemory<float> kernel, ReadOnlyMemory<float> bias, bool relu)
    {
        int k = _g.PatchSize, f = Filters, c = _g.InChannels;
        int top = firstRow * _g.StrideHeight - _g.PadTop, end = (firstRow + rows - 1) * _g.StrideHeight - _g.PadTop + _g.KernelHeight;
        int padTop = Math.Max(0, -top), padBottom = Math.Max(0, end - _g.Height);
        int inFirst = Math.Max(0, top), inRows = Math.Min(end, _g.Height) - inFirst;
        var band = ConvGeometry.Padded(inRows, _g.Width, c, _g.KernelHeight, _g.KernelWidth, _g.StrideHeight, _g.StrideWidth,
            padTop, _g.PadLeft, padBottom, _g.PadRight);
        var source = image.Slice(inFirst * _g.Width * c, inRows * _g.Width * c);
        if (_g.PadTop + _g.PadBottom + _g.PadLeft + _g.PadRight > 0) source = PadBand(source, band);
        fixed (float* images = source)
        {
            var patches = new PatchSource(images, band);
            Sgemm.MultiplyPatches(in patches, rows * _g.OutWidth, f, k, kernel.Span, f, output[..(rows * _g.OutWidth * f)], f,
                bias.Span, relu, threads: 1, _packedKernel.Span, gelu: false, Sgemm.InferenceKc(in patches, k));
        }
    }

    [ThreadStatic] private static float[]? t_paddedBand;

    /// <summary>The band's rows inside a zero border of <paramref name="band"/>'s padding, in this thread's scratch.</summary>
    private static Span<float> PadBand(ReadOnlySpan<float> rows, ConvGeometry band)
    {
        int c = band.InChannels, width = band.Width + band.PadLeft + band.PadRight;
        int size = (band.Height + band.PadTop + band.PadBottom) * width * c;
        var scratch = t_paddedBand is { } mine && mine.Length >= size ? mine : t_paddedBand = new float[size];
        var padded = scratch.AsSpan(0, size);
        padded.Clear();
        for (int y = 0; y < band.Height; y++)
            rows.Slice(y * band.Width * c, band.Width * c).CopyTo(padded[(((band.PadTop + y) * width + band.PadLeft) * c)..]);
        return padded;
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
