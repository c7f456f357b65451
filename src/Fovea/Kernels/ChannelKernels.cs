namespace Fovea.Kernels;

// The per-row loops of BatchNorm and GlobalAveragePool over a [rows, channels] block with channels contiguous.
// Each runs rows outermost so memory is read in order; per-channel sums live in a small float array (in L1).

/// <summary>sum[c] += Σ_r x[r, c].</summary>
internal unsafe struct SumRows : IChannelKernel
{
    public float* X;       // [Rows, Channels]
    public float* Sum;     // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        for (int r = 0; r < Rows; r++)
        {
            float* x = X + (nint)r * Channels;
            for (int j = c; j < stop; j += w)
                TOps.Store(Sum + j, TOps.Add(TOps.Load(Sum + j), TOps.Load(x + j)));
        }
        return stop;
    }
}

/// <summary>sum[c] += Σ_r d, squares[c] += Σ_r d² with d = x[r, c] − center[c] (exact in float when center is close).</summary>
internal unsafe struct SumDeviations : IChannelKernel
{
    public float* X;       // [Rows, Channels]
    public float* Center, Sum, Squares;  // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        for (int r = 0; r < Rows; r++)
        {
            float* x = X + (nint)r * Channels;
            for (int j = c; j < stop; j += w)
            {
                TVec d = TOps.Subtract(TOps.Load(x + j), TOps.Load(Center + j));
                TOps.Store(Sum + j, TOps.Add(TOps.Load(Sum + j), d));
                TOps.Store(Squares + j, TOps.MultiplyAdd(d, d, TOps.Load(Squares + j)));
            }
        }
        return stop;
    }
}

/// <summary>y[r, c] = (x[r, c] − mean[c])·scale[c] + shift[c]. Subtracting the mean first keeps a large mean from
/// cancelling against the shift in float. y may be x itself.</summary>
internal unsafe struct NormalizeRows : IChannelKernel
{
    public float* X, Y;    // [Rows, Channels]
    public float* Mean, Scale, Shift;   // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
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

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Count, stop = c + (end - c) / w * w;
        for (int r = 0; r < Rows; r++)
        {
            float* dy = Dy + (nint)r * Channels, x = X + (nint)r * Channels;
            for (int j = c; j < stop; j += w)
            {
                TVec g = TOps.Load(dy + j);
                TVec centred = TOps.Subtract(TOps.Load(x + j), TOps.Load(Mean + j));
                TOps.Store(SumDy + j, TOps.Add(TOps.Load(SumDy + j), g));
                TOps.Store(SumDyCentred + j, TOps.MultiplyAdd(g, centred, TOps.Load(SumDyCentred + j)));
            }
        }
        return stop;
    }
}

/// <summary>dx[r, c] = a[c]·dy[r, c] + b[c]·(x[r, c] − mean[c]) + d[c]. dx may be dy itself.</summary>
internal unsafe struct BatchNormInputGradient : IChannelKernel
{
    public float* Dy, X, Dx;   // [Rows, Channels]
    public float* Mean, A, B, D;   // [Channels]
    public int Rows, Channels;

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
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

    public int Run<TOps, TVec>(int c, int end) where TOps : ISimd<TVec> where TVec : unmanaged
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
