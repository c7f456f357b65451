namespace Fovea.Kernels;

/// <summary>
/// Inference's convolution → max-pool (→ GELU) in one pass, chunk by chunk: each chunk of images is convolved into a
/// scratch that fits the core's L2 and pooled while it is still there, instead of the whole convolution output being
/// written out and read back (for the tutorial CNN's first layer, 29 MB per batch of 256). With at least two chunks
/// per thread, each thread convolves and pools whole chunks of its own (no hand-over between the two, and the chunk
/// stays in the cache of the core that wrote it); with fewer images (batch 1), each thread takes bands of pooled rows
/// of an image, convolving just the rows a band pools; otherwise (a pool with an implicit border, Winograd) every chunk
/// is split over all threads, the convolution by rows and the pool by images or bands. The same values either way, and as the convolution and the pool one after
/// the other: each output of a convolution is the same dot product whatever the batch or thread it is computed in.
/// </summary>
internal sealed class PooledConvolution(Convolution convolution, MaxPoolPass pool) : IParallelWork
{
    /// <summary>Floats of convolution output per chunk: about 1 MB.</summary>
    private const int ChunkFloats = 1 << 18;
    /// <summary>Floats per chunk when each thread takes whole chunks: half of L2 (1 MB on Zen 4 and 5), so that the
    /// images read and the pooled output fit beside it.</summary>
    private const int ThreadChunkFloats = 1 << 17;

    private float[] _chunk = [];
    [ThreadStatic] private static float[]? t_chunk;

    // One parallel pass over whole chunks.
    private float[] _output = [], _input = [];
    private ReadOnlyMemory<float> _kernel, _bias;
    private bool _relu, _gelu;
    private int _batch, _perChunk, _bands;

    /// <summary>
    /// output[B, ph, pw, filters] = maxpool(conv(input[B, H, W, cin], kernel) + bias (+ relu)), then GELU when
    /// <paramref name="gelu"/>. <paramref name="kernelUnchanged"/>, <paramref name="allowWinograd"/>: as
    /// <see cref="Convolution.Forward"/> takes them, for the whole batch.
    /// </summary>
    public void Forward(float[] output, float[] input, ReadOnlyMemory<float> kernel, ReadOnlyMemory<float> bias, bool relu,
        int batch, bool kernelUnchanged, bool allowWinograd, bool gelu)
    {
        int inSize = convolution.Geometry.InputSize, convSize = convolution.OutputSize;
        int threads = WorkerPool.Shared.Threads, perChunk = Math.Max(1, ThreadChunkFloats / convSize);
        int chunks = (batch + perChunk - 1) / perChunk;
        if (threads > 1 && chunks >= 2 * threads && convolution.PrepareForwardOnThreads(kernel, kernelUnchanged, allowWinograd))
        {
            (_output, _input, _kernel, _bias, _relu, _gelu, _batch, _perChunk, _bands) = (output, input, kernel, bias, relu, gelu, batch, perChunk, 0);
            try { WorkerPool.Shared.Run(this, chunks); }
            finally { (_output, _input, _kernel, _bias) = ([], [], default, default); }
            return;
        }
        var (poolRows, _, _, padded) = pool.Rows;
        if (threads > 1 && !padded && convolution.PrepareForwardOnThreads(kernel, kernelUnchanged, allowWinograd))
        {
            // Fewer images than two chunks a thread (batch 1): each part convolves the rows of one band of pooled rows
            // and pools them while they are in its core's cache; one hand-over instead of two.
            int bands = Math.Min(poolRows, (2 * threads + batch - 1) / batch);
            (_output, _input, _kernel, _bias, _relu, _gelu, _batch, _perChunk, _bands) = (output, input, kernel, bias, relu, gelu, batch, 1, bands);
            try { WorkerPool.Shared.Run(this, batch * bands); }
            finally { (_output, _input, _kernel, _bias) = ([], [], default, default); }
            return;
        }
        int chunk = Math.Clamp(ChunkFloats / convSize, 1, Math.Max(batch, 1));
        if (_chunk.Length < chunk * convSize) _chunk = new float[chunk * convSize];
        for (int first = 0; first < batch; first += chunk)
        {
            int images = Math.Min(chunk, batch - first);
            convolution.Forward(_chunk.AsMemory(0, images * convSize), input.AsMemory(first * inSize, images * inSize),
                kernel, bias, relu, images, kernelUnchanged: kernelUnchanged || first > 0, training: false,
                allowWinograd: allowWinograd);
            pool.Infer(output, first, _chunk, images, gelu);
        }
    }

    /// <summary>Chunk <paramref name="part"/>, or with bands one band of one image: convolved into this thread's
    /// scratch and pooled from it.</summary>
    public void Execute(int part)
    {
        int inSize = convolution.Geometry.InputSize, convSize = convolution.OutputSize;
        if (_bands > 0)
        {
            ExecuteBand(part / _bands, part % _bands, inSize, convSize);
            return;
        }
        int first = part * _perChunk, images = Math.Min(_perChunk, _batch - first);
        var chunk = t_chunk is { } mine && mine.Length >= images * convSize ? mine : t_chunk = new float[_perChunk * convSize];
        convolution.ForwardOnThisThread(chunk.AsMemory(0, images * convSize), _input.AsMemory(first * inSize, images * inSize),
            _kernel, _bias, _relu, images);
        pool.InferOnThisThread(_output, first, chunk.AsSpan(0, images * convSize), images, _gelu);
    }

    private void ExecuteBand(int image, int band, int inSize, int convSize)
    {
        var (poolRows, poolHeight, poolStride, _) = pool.Rows;
        int y0 = poolRows * band / _bands, y1 = poolRows * (band + 1) / _bands;
        if (y1 == y0) return;
        int first = y0 * poolStride, rows = (y1 - 1) * poolStride + poolHeight - first;
        int rowFloats = convSize / convolution.Geometry.OutHeight;
        var chunk = t_chunk is { } mine && mine.Length >= rows * rowFloats ? mine : t_chunk = new float[Math.Max(rows * rowFloats, ThreadChunkFloats)];
        var convRows = chunk.AsSpan(0, rows * rowFloats);
        convolution.ForwardRowsOnThisThread(convRows, _input.AsSpan(image * inSize, inSize), first, rows, _kernel, _bias, _relu);
        pool.InferRowsOnThisThread(_output, image, convRows, y0, y1, _gelu);
    }
}
