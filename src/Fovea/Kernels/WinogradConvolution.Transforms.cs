using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>The transform stages of <see cref="WinogradConvolution"/>.</summary>
public sealed partial class WinogradConvolution
{
    /// <summary>The three transforms, each split across the worker pool into parts that write their own outputs.</summary>
    private sealed unsafe class TransformWork(WinogradConvolution plan) : IParallelWork
    {
        private enum Stage { Kernel, Input, Output, OutputGradient, KernelGradient }

        /// <summary>Parts per transform: enough for a thread slowed by a neighbour to leave work to the other.
        /// Which part computes a tile never changes its bits.</summary>
        private const int PartsPerThread = 4;

        private Stage _stage;
        private Pass? _pass;
        private ReadOnlyMemory<float> _source, _bias, _residual;
        private float[] _kernelTarget = [];
        private Memory<float> _target;
        private bool _relu, _turned;
        private long _first;
        private int _count, _parts;

        /// <summary><paramref name="target"/> [ξ, C, F] = the transform of <paramref name="kernel"/> (turned 180° when <paramref name="turned"/>).</summary>
        public void Kernel(ReadOnlyMemory<float> kernel, bool turned, float[] target)
        {
            (_stage, _source, _count, _turned, _kernelTarget) = (Stage.Kernel, kernel, plan._g.InChannels, turned, target);
            try { Go(plan._xi * plan.Filters); }
            finally { (_source, _kernelTarget) = (default, []); }
        }

        public void Input(Pass p, ReadOnlyMemory<float> input, long first, int tiles)
        {
            (_stage, _pass, _source, _first, _count) = (Stage.Input, p, input, first, tiles);
            try { Go(plan._xi * p.InChannels); }
            finally { (_pass, _source) = (null, default); }
        }

        public void OutputGradient(Pass p, ReadOnlyMemory<float> outputGrad, long first, int tiles)
        {
            (_stage, _pass, _source, _first, _count) = (Stage.OutputGradient, p, outputGrad, first, tiles);
            try { Go(plan._xi * p.OutChannels); }
            finally { (_pass, _source) = (null, default); }
        }

        public void KernelGradient(Memory<float> kernelGrad)
        {
            (_stage, _target, _count) = (Stage.KernelGradient, kernelGrad, plan._g.InChannels);
            try { Go(plan._xi * plan.Filters); }
            finally { _target = default; }
        }

        public void Output(Pass p, Memory<float> output, ReadOnlyMemory<float> bias, bool relu, long first, int tiles, ReadOnlyMemory<float> residual)
        {
            (_stage, _pass, _target, _bias, _relu, _first, _count, _residual) = (Stage.Output, p, output, bias, relu, first, tiles, residual);
            try { Go(plan._xi * p.OutChannels); }
            finally { (_pass, _target, _bias, _residual) = (null, default, default, default); }
        }

        /// <summary>Runs the stage over <c>_count</c> items of <paramref name="floatsPerItem"/> transformed floats each:
        /// on the calling thread when that is below <see cref="KernelOptions.WinogradParallelMinFloats"/>, where waking a worker costs more.</summary>
        private void Go(long floatsPerItem)
        {
            _parts = _count * floatsPerItem < Engine.KernelOptions.WinogradParallelMinFloats ? 1 : Math.Min(_count, WorkerPool.Shared.Threads * PartsPerThread);
            WorkerPool.Shared.Run(this, _parts);
        }

        public void Execute(int part)
        {
            int start = (int)((long)_count * part / _parts), end = (int)((long)_count * (part + 1) / _parts);
            switch (_stage)
            {
                case Stage.Kernel: KernelPart(start, end); break;
                case Stage.Input: InputPart(start, end); break;
                case Stage.OutputGradient: OutputGradientPart(start, end); break;
                case Stage.KernelGradient: KernelGradientPart(start, end); break;
                default: OutputPart(start, end); break;
            }
        }

        // The part methods (and the kernels below them) are AggressiveOptimization, as the SGEMM's: at tier 0 the
        // vector operations are real calls, and on a busy machine the tier-up came only after many passes.
        /// <summary>U[ξ, c, :] for input channels [start, end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void KernelPart(int start, int end)
        {
            int c = plan._g.InChannels, f = plan.Filters;
            fixed (float* kernel = _source.Span, u = _kernelTarget)
            {
                if (plan.OutputTile == 4 && !plan.Trainable)
                {
                    WinogradF4Kernel.Transform(kernel, u, c, f, start, end);
                    return;
                }
                if (plan.OutputTile == 4)
                {
                    float* scratch = stackalloc float[18 * 16];
                    var k4 = new WinogradF4KernelRow { TapStride = (nint)c * f, Stride = (nint)c * f, Turned = _turned, Scratch = scratch };
                    for (int ch = start; ch < end; ch++)
                    {
                        k4.G = kernel + (nint)ch * f;
                        k4.U = u + (nint)ch * f;
                        ChannelLoop.Run(ref k4, f);
                    }
                    return;
                }
                var k = new WinogradKernelRow { TapStride = (nint)c * f, Stride = (nint)c * f };
                for (int ch = start; ch < end; ch++)
                {
                    k.G = kernel + (nint)ch * f;
                    k.U = u + (nint)ch * f;
                    ChannelLoop.Run(ref k, f);
                }
            }
        }

        /// <summary>V[ξ, t, :] for the chunk's tiles [start, end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void InputPart(int start, int end)
        {
            var p = _pass!;
            int cin = p.InChannels, side = p.Tile + 2, xi = plan._xi;
            float** d = stackalloc float*[xi];
            float* scratch = stackalloc float[xi * 16];
            fixed (float* input = _source.Span, v = plan._v, zeros = plan._zeros)
            {
                var k2 = new WinogradInputTile { D = d, Stride = cin };
                var k4 = new WinogradF4InputTile { D = d, Stride = cin, Scratch = scratch };
                for (int t = start; t < end; t++)
                {
                    long tile = _first + t;
                    int image = (int)(tile / p.TilesPerImage), within = (int)(tile % p.TilesPerImage);
                    int ih0 = within / p.TileColumns * p.Tile - p.PadTop, iw0 = within % p.TileColumns * p.Tile - p.PadLeft;
                    float* img = input + (nint)image * p.InputSize;
                    for (int i = 0; i < side; i++)
                    {
                        int ih = ih0 + i;
                        for (int j = 0; j < side; j++)
                        {
                            int iw = iw0 + j;
                            d[side * i + j] = (uint)ih < (uint)p.Height && (uint)iw < (uint)p.Width
                                ? img + ((nint)ih * p.Width + iw) * cin : zeros;
                        }
                    }
                    float* to = v + (nint)t * (xi * cin + RowPad);
                    if (p.Tile == 2)
                    {
                        k2.V = to;
                        ChannelLoop.Run(ref k2, cin);
                    }
                    else
                    {
                        k4.V = to;
                        ChannelLoop.Run(ref k4, cin);
                    }
                }
            }
        }

        /// <summary>kernelGrad[:, :, c, :] += Gᵀ dU G for input channels [start, end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void KernelGradientPart(int start, int end)
        {
            int c = plan._g.InChannels, f = plan.Filters;
            fixed (float* grad = _target.Span, du = plan._du)
            {
                if (plan.OutputTile == 4)
                {
                    float* scratch = stackalloc float[18 * 16];
                    var k4 = new WinogradF4KernelGradientRow { TapStride = (nint)c * f, Stride = (nint)c * f, Scratch = scratch };
                    for (int ch = start; ch < end; ch++)
                    {
                        k4.G = grad + (nint)ch * f;
                        k4.U = du + (nint)ch * f;
                        ChannelLoop.Run(ref k4, f);
                    }
                    return;
                }
                var k = new WinogradKernelGradientRow { TapStride = (nint)c * f, Stride = (nint)c * f };
                for (int ch = start; ch < end; ch++)
                {
                    k.G = grad + (nint)ch * f;
                    k.U = du + (nint)ch * f;
                    ChannelLoop.Run(ref k, f);
                }
            }
        }

        /// <summary>dM[t, ξ, :] = (A dY Aᵀ)[ξ] for the chunk's tiles [start, end); outputs outside the image count as zero.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void OutputGradientPart(int start, int end)
        {
            var p = _pass!;
            if (p.Tile == 4)
            {
                OutputGradientPartF4(start, end);
                return;
            }
            int cout = p.OutChannels;
            fixed (float* dy = _source.Span, m = plan._m, zeros = plan._zeros)
            {
                var k = new WinogradOutputGradientTile { Stride = cout };
                for (int t = start; t < end; t++)
                {
                    long tile = _first + t;
                    int image = (int)(tile / p.TilesPerImage), within = (int)(tile % p.TilesPerImage);
                    int oh = within / p.TileColumns * 2, ow = within % p.TileColumns * 2;
                    float* y = dy + (nint)image * p.OutputSize + ((nint)oh * p.OutWidth + ow) * cout;
                    bool right = ow + 1 < p.OutWidth, below = oh + 1 < p.OutHeight;
                    k.Y00 = y;
                    k.Y01 = right ? y + cout : zeros;
                    k.Y10 = below ? y + (nint)p.OutWidth * cout : zeros;
                    k.Y11 = right && below ? y + ((nint)p.OutWidth + 1) * cout : zeros;
                    k.M = m + (nint)t * (plan._xi * cout + RowPad);
                    ChannelLoop.Run(ref k, cout);
                }
            }
        }

        /// <summary><see cref="OutputGradientPart"/> for F(4×4, 3×3).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void OutputGradientPartF4(int start, int end)
        {
            var p = _pass!;
            int cout = p.OutChannels;
            float** y = stackalloc float*[16];
            float* scratch = stackalloc float[24 * 16];
            fixed (float* dy = _source.Span, m = plan._m, zeros = plan._zeros)
            {
                var k = new WinogradF4OutputGradientTile { Stride = cout, Y = y, Scratch = scratch };
                for (int t = start; t < end; t++)
                {
                    long tile = _first + t;
                    int image = (int)(tile / p.TilesPerImage), within = (int)(tile % p.TilesPerImage);
                    int oh = within / p.TileColumns * 4, ow = within % p.TileColumns * 4;
                    float* img = dy + (nint)image * p.OutputSize;
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++)
                            y[4 * i + j] = oh + i < p.OutHeight && ow + j < p.OutWidth ? img + ((nint)(oh + i) * p.OutWidth + ow + j) * cout : zeros;
                    k.M = m + (nint)t * (plan._xi * cout + RowPad);
                    ChannelLoop.Run(ref k, cout);
                }
            }
        }

        /// <summary>The outputs of the chunk's tiles [start, end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void OutputPart(int start, int end)
        {
            var p = _pass!;
            if (p.Tile == 4)
            {
                OutputPartF4(start, end);
                return;
            }
            int cout = p.OutChannels;
            fixed (float* output = _target.Span, m = plan._m, bias = _bias.Span, residual = _residual.Span)
            {
                var k = new WinogradOutputTile { Stride = cout, Bias = _bias.IsEmpty ? null : bias, Relu = _relu, Residual = _residual.IsEmpty ? 0 : (nint)(residual - output) };
                for (int t = start; t < end; t++)
                {
                    long tile = _first + t;
                    int image = (int)(tile / p.TilesPerImage), within = (int)(tile % p.TilesPerImage);
                    int oh = within / p.TileColumns * 2, ow = within % p.TileColumns * 2;
                    float* y = output + (nint)image * p.OutputSize + ((nint)oh * p.OutWidth + ow) * cout;
                    bool right = ow + 1 < p.OutWidth, below = oh + 1 < p.OutHeight;
                    k.Y00 = y;
                    k.Y01 = right ? y + cout : null;
                    k.Y10 = below ? y + (nint)p.OutWidth * cout : null;
                    k.Y11 = right && below ? y + ((nint)p.OutWidth + 1) * cout : null;
                    k.M = m + (nint)t * (plan._xi * cout + RowPad);
                    ChannelLoop.Run(ref k, cout);
                }
            }
        }

        /// <summary><see cref="OutputPart"/> for F(4×4, 3×3).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void OutputPartF4(int start, int end)
        {
            var p = _pass!;
            int cout = p.OutChannels;
            float** y = stackalloc float*[16];
            float* scratch = stackalloc float[24 * 16];
            fixed (float* output = _target.Span, m = plan._m, bias = _bias.Span, residual = _residual.Span)
            {
                var k = new WinogradF4OutputTile
                {
                    Stride = cout, Y = y, Scratch = scratch, Bias = _bias.IsEmpty ? null : bias, Relu = _relu,
                    Residual = _residual.IsEmpty ? 0 : (nint)(residual - output),
                };
                for (int t = start; t < end; t++)
                {
                    long tile = _first + t;
                    int image = (int)(tile / p.TilesPerImage), within = (int)(tile % p.TilesPerImage);
                    int oh = within / p.TileColumns * 4, ow = within % p.TileColumns * 4;
                    float* img = output + (nint)image * p.OutputSize;
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++)
                            y[4 * i + j] = oh + i < p.OutHeight && ow + j < p.OutWidth ? img + ((nint)(oh + i) * p.OutWidth + ow + j) * cout : null;
                    k.M = m + (nint)t * (plan._xi * cout + RowPad);
                    ChannelLoop.Run(ref k, cout);
                }
            }
        }
    }
}
