namespace Fovea.Kernels;

/// <summary>The parallel parts of a convolution plan: unfolding and folding tiles, and the split-k kernel gradient.</summary>
public sealed partial class Convolution
{
    /// <summary>im2col or col2im for each image of a tile, the images split across the worker pool.</summary>
    private sealed class TileWork(Convolution plan) : IParallelWork
    {
        private ReadOnlyMemory<float> _input;
        private Memory<float> _inputGrad;
        private int _first, _bands;
        private bool _fold, _pad;

        public void Unfold(ReadOnlyMemory<float> input, int first, int images)
        {
            (_input, _first, _fold) = (input, first, false);
            try { Run(images); }
            finally { _input = default; }
        }

        /// <summary>Copies images first.. into the padded scratch with a zero border, one image per part (bands of rows
        /// when there are fewer images than threads: at batch 1 the copy was a serial few microseconds per layer).</summary>
        public void Pad(ReadOnlyMemory<float> input, int first, int images)
        {
            (_input, _first, _pad) = (input, first, true);
            int threads = Engine.Threads;
            _bands = images >= threads ? 1 : Math.Min(threads * 2, plan._g.Height);
            try { WorkerPool.Shared.Run(this, images * _bands); }
            finally { (_input, _pad) = (default, false); }
        }

        public void Fold(Memory<float> inputGrad, int first, int images)
        {
            (_inputGrad, _first, _fold) = (inputGrad, first, true);
            try { Run(images); }
            finally { _inputGrad = default; }
        }

        /// <summary>One part per image; when there are fewer images than threads (batch 1), each image is cut into
        /// bands of rows instead. Either way every value is the same: the parts only decide who writes it.</summary>
        private void Run(int images)
        {
            int threads = Engine.Threads;
            _bands = images >= threads ? 1 : Math.Min(threads * 2, _fold ? plan._g.Height : plan._g.OutHeight);
            WorkerPool.Shared.Run(this, images * _bands);
        }

        public void Execute(int part)
        {
            ref readonly var g = ref plan._g;
            if (_pad)
            {
                PadImage(part / _bands, part % _bands);
                return;
            }
            int image = part / _bands, band = part % _bands;
            var cols = plan._cols.AsSpan(image * plan._patchFloats, plan._patchFloats);
            int at = (_first + image) * g.InputSize;
            int rows = _fold ? g.Height : g.OutHeight;
            int start = rows * band / _bands, end = rows * (band + 1) / _bands;
            if (_fold) Im2Col.Fold(_inputGrad.Span.Slice(at, g.InputSize), cols, g, start, end);
            else Im2Col.Unfold(cols, _input.Span.Slice(at, g.InputSize), g, start, end);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void PadImage(int image, int band)
        {
            ref readonly var g = ref plan._g;
            int c = g.InChannels, pw = g.Width + g.PadLeft + g.PadRight, ph = g.Height + g.PadTop + g.PadBottom;
            int rowFloats = pw * c, size = ph * rowFloats;
            var dst = plan._padded.AsSpan(image * size, size);
            var src = _input.Span.Slice((_first + image) * g.InputSize, g.InputSize);
            if (band == 0) dst[..(g.PadTop * rowFloats)].Clear();
            if (band == _bands - 1) dst[((g.PadTop + g.Height) * rowFloats)..].Clear();
            for (int y = g.Height * band / _bands, end = g.Height * (band + 1) / _bands; y < end; y++)
            {
                var row = dst.Slice((g.PadTop + y) * rowFloats, rowFloats);
                row[..(g.PadLeft * c)].Clear();
                src.Slice(y * g.Width * c, g.Width * c).CopyTo(row[(g.PadLeft * c)..]);
                row[((g.PadLeft + g.Width) * c)..].Clear();
            }
        }
    }

    /// <summary>
    /// The kernel gradient of a tile when the gradient is small and the sum long (the first layers: 27×32 outputs
    /// over 200 000 patch rows): part p multiplies a fixed 1/<see cref="SplitKParts"/> of the tile's rows into its
    /// own partial gradient, single-threaded. Parts depend on the row count only, never on the threads.
    /// </summary>
    private sealed class SplitKernelGradient(Convolution plan) : IParallelWork
    {
        private ReadOnlyMemory<float> _patches, _dz;
        private PatchSource _source;
        private int _rows;

        public void Run(ReadOnlyMemory<float> patches, ReadOnlyMemory<float> dz, int rows)
        {
            (_patches, _dz, _rows) = (patches, dz, rows);
            try { WorkerPool.Shared.Run(this, SplitKParts); }
            finally { (_patches, _dz) = (default, default); }
        }

        /// <summary>The same parts, with the patches read in place; the caller keeps the images pinned.</summary>
        public void Run(in PatchSource source, ReadOnlyMemory<float> dz, int rows)
        {
            (_source, _dz, _rows) = (source, dz, rows);
            try { WorkerPool.Shared.Run(this, SplitKParts); }
            finally { (_source, _dz) = (default, default); }
        }

        public void Execute(int part)
        {
            int k = plan._g.PatchSize, f = plan.Filters, size = plan.KernelSize;
            int start = (int)((long)_rows * part / SplitKParts), end = (int)((long)_rows * (part + 1) / SplitKParts);
            if (end == start) return;
            if (_source.IsSet)
            {
                Sgemm.MultiplyPatchesTransposed(in _source, start, k, f, end - start, _dz.Span.Slice(start * f, (end - start) * f), f,
                    plan._partials.AsSpan(part * size, size), f, accumulate: true, threads: 1);
                return;
            }
            // partial[p][KH·KW·C, F] += patches[start..end]ᵀ · dz[start..end]
            Sgemm.Multiply(k, f, end - start, _patches.Span.Slice(start * k, (end - start) * k), k, true,
                _dz.Span.Slice(start * f, (end - start) * f), f, false, plan._partials.AsSpan(part * size, size), f, accumulate: true);
        }
    }
}
