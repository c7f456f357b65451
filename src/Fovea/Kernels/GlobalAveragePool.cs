namespace Fovea.Kernels;

/// <summary>
/// Global average pooling over the spatial positions of NHWC activations: y[n, c] = mean over h, w of x[n, h, w, c].
/// One part per sample over <see cref="WorkerPool.Shared"/>; each sums its positions in order in float, so results are
/// the same bits for any thread count. Allocation-free.
/// </summary>
public static unsafe class GlobalAveragePool
{
    /// <param name="positions">H·W, the spatial positions of one sample.</param>
    /// <param name="y">The means, [batch, channels].</param>
    /// <param name="x">The activations, [batch, H, W, channels].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels per position.</param>
    public static void Forward(
        Span<float> y,                  // [batch, channels]
        ReadOnlySpan<float> x,          // [batch, H, W, channels]
        int batch, int positions, int channels)
    {
        CheckSizes(batch, positions, channels);
        BatchNorm.CheckActivations(x, nameof(x), batch * positions, channels);
        BatchNorm.CheckActivations(y, nameof(y), batch, channels);
        if (y[..(batch * channels)].Overlaps(x[..(batch * positions * channels)]))
            throw new ArgumentException("y must not overlap x", nameof(y));
        fixed (float* py = y, px = x) Run(forward: true, py, px, batch, positions, channels);
    }

    /// <summary>dx[n, h, w, c] = dy[n, c]/(H·W). Writes (does not add to) dx.</summary>
    public static void Backward(
        Span<float> dx,                 // [batch, H, W, channels]
        ReadOnlySpan<float> dy,         // [batch, channels]
        int batch, int positions, int channels)
    {
        CheckSizes(batch, positions, channels);
        BatchNorm.CheckActivations(dx, nameof(dx), batch * positions, channels);
        BatchNorm.CheckActivations(dy, nameof(dy), batch, channels);
        if (dx[..(batch * positions * channels)].Overlaps(dy[..(batch * channels)]))
            throw new ArgumentException("dx must not overlap dy", nameof(dx));
        fixed (float* pdx = dx, pdy = dy) Run(forward: false, pdy, pdx, batch, positions, channels);
    }

    private static void CheckSizes(int batch, int positions, int channels)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be non-negative; got {batch}");
        if (positions < 1) throw new ArgumentOutOfRangeException(nameof(positions), positions, $"positions must be positive; got {positions}");
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"channels must be positive; got {channels}");
        if ((long)batch * positions * channels > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch × positions × channels must fit an int; got {batch} × {positions} × {channels}");
    }

    [ThreadStatic] private static PoolWork? t_work;

    /// <param name="pooled">[batch, channels]: y (forward) or dy (backward).</param>
    /// <param name="spatial">[batch, positions, channels]: x (forward) or dx (backward).</param>
    /// <param name="forward">True to average (forward), false to spread dy evenly over the positions (backward).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="positions">H·W, the spatial positions of one sample.</param>
    /// <param name="channels">Channels per position.</param>
    private static void Run(bool forward, float* pooled, float* spatial, int batch, int positions, int channels)
    {
        var work = t_work ??= new PoolWork();
        work.IsForward = forward; work.Pooled = pooled; work.Spatial = spatial; work.Positions = positions; work.Channels = channels;
        try { WorkerPool.Shared.Run(work, batch); }
        finally { work.Pooled = null; work.Spatial = null; }
    }

    private sealed class PoolWork : IParallelWork
    {
        public bool IsForward;
        public float* Pooled, Spatial;
        public int Positions, Channels;

        public void Execute(int n)
        {
            float* pooled = Pooled + (nint)n * Channels, spatial = Spatial + (nint)n * Positions * Channels;
            if (IsForward)
            {
                var sum = new Span<float>(pooled, Channels);
                sum.Clear();
                var k = new SumRows { X = spatial, Sum = pooled, Rows = Positions, Channels = Channels };
                ChannelLoop.Run(ref k, Channels);
                System.Numerics.Tensors.TensorPrimitives.Multiply(sum, 1f / Positions, sum);
            }
            else
            {
                var k = new BroadcastRows { Dy = pooled, Dx = spatial, Scale = 1f / Positions, Rows = Positions, Channels = Channels };
                ChannelLoop.Run(ref k, Channels);
            }
        }
    }
}
