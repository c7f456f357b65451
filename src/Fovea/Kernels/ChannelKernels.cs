namespace Fovea.Kernels;

// The per-row loops of BatchNorm and GlobalAveragePool over a [rows, channels] block with channels contiguous.
// Element-wise passes run rows outermost so memory is read in order. Sums keep their accumulators in registers
// across the rows of a block, four vectors (64 channels on AVX-512) at a time: accumulating in memory instead put
// a store and a store-forwarded reload on every vector, which measured the statistics pass at half the speed of
// the normalise pass that moves twice the bytes.

/// <summary>sum[c] += Σ_r x[r, c].</summary>
internal unsafe struct SumRows : IChannelKernel
{
    public float* X;       // [Rows, Channels]
    public float* Sum;     // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, j = c;
        for (; j + 4 * w <= end; j += 4 * w)
        {
            TVec s0 = TOps.Load(Sum + j), s1 = TOps.Load(Sum + j + w), s2 = TOps.Load(Sum + j + 2 * w), s3 = TOps.Load(Sum + j + 3 * w);
            float* x = X + j;
            for (int r = 0; r < Rows; r++, x += Channels)
            {
                s0 = TOps.Add(s0, TOps.Load(x));
                s1 = TOps.Add(s1, TOps.Load(x + w));
                s2 = TOps.Add(s2, TOps.Load(x + 2 * w));
                s3 = TOps.Add(s3, TOps.Load(x + 3 * w));
            }
            TOps.Store(Sum + j, s0);
            TOps.Store(Sum + j + w, s1);
            TOps.Store(Sum + j + 2 * w, s2);
            TOps.Store(Sum + j + 3 * w, s3);
        }
        for (; j + w <= end; j += w)
        {
            TVec s0 = TOps.Load(Sum + j);
            float* x = X + j;
            for (int r = 0; r < Rows; r++, x += Channels) s0 = TOps.Add(s0, TOps.Load(x));
            TOps.Store(Sum + j, s0);
        }
        return j;
    }
}

/// <summary>sum[c] += Σ_r d, squares[c] += Σ_r d² with d = x[r, c] − center[c] (exact in float when center is close).</summary>
internal unsafe struct SumDeviations : IChannelKernel
{
    public float* X;       // [Rows, Channels]
    public float* Center, Sum, Squares;  // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, j = c;
        for (; j + 2 * w <= end; j += 2 * w)
        {
            TVec m0 = TOps.Load(Center + j), m1 = TOps.Load(Center + j + w);
            TVec s0 = TOps.Load(Sum + j), s1 = TOps.Load(Sum + j + w);
            TVec q0 = TOps.Load(Squares + j), q1 = TOps.Load(Squares + j + w);
            float* x = X + j;
            for (int r = 0; r < Rows; r++, x += Channels)
            {
                TVec d0 = TOps.Subtract(TOps.Load(x), m0), d1 = TOps.Subtract(TOps.Load(x + w), m1);
                s0 = TOps.Add(s0, d0);
                s1 = TOps.Add(s1, d1);
                q0 = TOps.MultiplyAdd(d0, d0, q0);
                q1 = TOps.MultiplyAdd(d1, d1, q1);
            }
            TOps.Store(Sum + j, s0);
            TOps.Store(Sum + j + w, s1);
            TOps.Store(Squares + j, q0);
            TOps.Store(Squares + j + w, q1);
        }
        for (; j + w <= end; j += w)
        {
            TVec m0 = TOps.Load(Center + j), s0 = TOps.Load(Sum + j), q0 = TOps.Load(Squares + j);
            float* x = X + j;
            for (int r = 0; r < Rows; r++, x += Channels)
            {
                TVec d0 = TOps.Subtract(TOps.Load(x), m0);
                s0 = TOps.Add(s0, d0);
                q0 = TOps.MultiplyAdd(d0, d0, q0);
            }
            TOps.Store(Sum + j, s0);
            TOps.Store(Squares + j, q0);
        }
        return j;
    }
}

/// <summary>y[r, c] = (x[r, c] − mean[c])·scale[c] + shift[c]. Subtracting the mean first keeps a large mean from
/// cancelling against the shift in float. y may be x itself.</summary>
internal unsafe struct NormalizeRows : IChannelKernel
{
    public float* X, Y;    // [Rows, Channels]
    public float* Mean, Scale, Shift;   // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        for (int r = 0; r < Rows; r++)
        {
            float* x = X + (nint)r * Channels, y = Y + (nint)r * Channels;
            for (int j = c; j < stop; j += w)
            {
                TVec centred = TOps.Subtract(TOps.Load(x + j), TOps.Load(Mean + j));
                TOps.Store(y + j, TOps.MultiplyAdd(centred, TOps.Load(Scale + j), TOps.Load(Shift + j)));
            }
        }
        return stop;
    }
}

/// <summary>sumDy[c] += Σ_r dy[r, c]; sumDyCentred[c] += Σ_r dy[r, c]·(x[r, c] − mean[c]).</summary>
internal unsafe struct BatchNormGradientSums : IChannelKernel
{
    public float* Dy, X;   // [Rows, Channels]
    public float* Mean, SumDy, SumDyCentred;   // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, j = c;
        for (; j + 2 * w <= end; j += 2 * w)
        {
            TVec m0 = TOps.Load(Mean + j), m1 = TOps.Load(Mean + j + w);
            TVec s0 = TOps.Load(SumDy + j), s1 = TOps.Load(SumDy + j + w);
            TVec q0 = TOps.Load(SumDyCentred + j), q1 = TOps.Load(SumDyCentred + j + w);
            float* dy = Dy + j, x = X + j;
            for (int r = 0; r < Rows; r++, dy += Channels, x += Channels)
            {
                TVec g0 = TOps.Load(dy), g1 = TOps.Load(dy + w);
                s0 = TOps.Add(s0, g0);
                s1 = TOps.Add(s1, g1);
                q0 = TOps.MultiplyAdd(g0, TOps.Subtract(TOps.Load(x), m0), q0);
                q1 = TOps.MultiplyAdd(g1, TOps.Subtract(TOps.Load(x + w), m1), q1);
            }
            TOps.Store(SumDy + j, s0);
            TOps.Store(SumDy + j + w, s1);
            TOps.Store(SumDyCentred + j, q0);
            TOps.Store(SumDyCentred + j + w, q1);
        }
        for (; j + w <= end; j += w)
        {
            TVec m0 = TOps.Load(Mean + j), s0 = TOps.Load(SumDy + j), q0 = TOps.Load(SumDyCentred + j);
            float* dy = Dy + j, x = X + j;
            for (int r = 0; r < Rows; r++, dy += Channels, x += Channels)
            {
                TVec g0 = TOps.Load(dy);
                s0 = TOps.Add(s0, g0);
                q0 = TOps.MultiplyAdd(g0, TOps.Subtract(TOps.Load(x), m0), q0);
            }
            TOps.Store(SumDy + j, s0);
            TOps.Store(SumDyCentred + j, q0);
        }
        return j;
    }
}

/// <summary>dx[r, c] = a[c]·dy[r, c] + b[c]·(x[r, c] − mean[c]) + d[c]. dx may be dy itself.</summary>
internal unsafe struct BatchNormInputGradient : IChannelKernel
{
    public float* Dy, X, Dx;   // [Rows, Channels]
    public float* Mean, A, B, D;   // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        for (int r = 0; r < Rows; r++)
        {
            float* dy = Dy + (nint)r * Channels, x = X + (nint)r * Channels, dx = Dx + (nint)r * Channels;
            for (int j = c; j < stop; j += w)
            {
                TVec centred = TOps.Subtract(TOps.Load(x + j), TOps.Load(Mean + j));
                TVec rest = TOps.MultiplyAdd(centred, TOps.Load(B + j), TOps.Load(D + j));
                TOps.Store(dx + j, TOps.MultiplyAdd(TOps.Load(dy + j), TOps.Load(A + j), rest));
            }
        }
        return stop;
    }
}

/// <summary>dx[r, c] = dy[c]·scale for every row: the gradient of a mean over rows.</summary>
internal unsafe struct BroadcastRows : IChannelKernel
{
    public float* Dy;      // [Channels]
    public float* Dx;      // [Rows, Channels]
    public float Scale;
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : IVectorOps<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        TVec scale = TOps.Broadcast(Scale);
        for (int r = 0; r < Rows; r++)
        {
            float* dx = Dx + (nint)r * Channels;
            for (int j = c; j < stop; j += w) TOps.Store(dx + j, TOps.Multiply(TOps.Load(Dy + j), scale));
        }
        return stop;
    }
}
