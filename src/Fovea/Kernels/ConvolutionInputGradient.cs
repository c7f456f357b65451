using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// A convolution's input gradient without the patch-gradient matrix (<see cref="InputGradientKernel{TOps, TVec}"/>),
/// planned once per layer: the kernel is repacked per call as [channel panel, tap, F, NR], then the batch's input
/// pixels, six at a time, are split across the worker pool. Each pixel's result does not depend on the split.
/// </summary>
internal sealed unsafe class ConvolutionInputGradient(ConvGeometry geometry, int filters) : IParallelWork
{
    private float[] _packed = [];
    private readonly float[] _zeros = new float[filters];
    private InputGradientArgs _args;
    private int _tiles, _parts;

    public void Run(Span<float> inputGrad, ReadOnlySpan<float> outputGrad, ReadOnlySpan<float> kernel, int batch)
    {
        int nr = Sgemm.PanelWidth, c = geometry.InChannels, taps = geometry.KernelHeight * geometry.KernelWidth;
        int panels = (c + nr - 1) / nr;
        int size = panels * taps * filters * nr;
        if (_packed.Length < size) _packed = new float[size];
        Pack(kernel, panels, taps, nr);
        int pixels = batch * geometry.InputSize / c;
        _tiles = (pixels + 5) / 6;
        if (_tiles == 0) return;
        fixed (float* dx = inputGrad, dz = outputGrad, zeros = _zeros, packed = _packed)
        {
            _args = new InputGradientArgs
            {
                InputGrad = dx, Dz = dz, Zeros = zeros, Packed = packed, G = geometry, Filters = filters,
                Kc = Sgemm.ChooseKc(filters), Pixels = pixels,
            };
            _parts = Math.Min(_tiles, Engine.Threads * 4);
            try { WorkerPool.Shared.Run(this, _parts); }
            finally { _args = default; }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part)
    {
        int taps = geometry.KernelHeight * geometry.KernelWidth;
        int t0 = (int)((long)_tiles * part / _parts), t1 = (int)((long)_tiles * (part + 1) / _parts);
        float** rows = stackalloc float*[6 * taps];
        float* tile = stackalloc float[6 * Sgemm.PanelWidth];
        Sgemm.InputGradient(in _args, t0, t1, rows, tile);
    }

    /// <summary>packed[panel, tap, f, j] = kernel[tap, c0 + j, f], zero past the last channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack(ReadOnlySpan<float> kernel, int panels, int taps, int nr)
    {
        int c = geometry.InChannels, f = filters;
        var packed = _packed.AsSpan();
        for (int panel = 0; panel < panels; panel++)
        {
            int c0 = panel * nr, width = Math.Min(nr, c - c0);
            for (int tap = 0; tap < taps; tap++)
            {
                var dst = packed.Slice((panel * taps + tap) * f * nr, f * nr);
                if (width < nr) dst.Clear();
                for (int j = 0; j < width; j++)
                {
                    var src = kernel.Slice((tap * c + c0 + j) * f, f);
                    for (int p = 0; p < f; p++) dst[p * nr + j] = src[p];
                }
            }
        }
    }
}
