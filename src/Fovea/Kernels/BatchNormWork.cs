namespace Fovea.Kernels;

/// <summary>
/// The parallel passes of <see cref="BatchNorm"/> and their scratch, one long-lived object per calling thread.
/// Blocks and parts depend on (rows, channels) only. The caller's buffers are pinned for the length of each pass.
/// </summary>
internal sealed unsafe class BatchNormWork : IParallelWork
{
    /// <summary>Floats per block (128 KB): a block's second read (its squared deviations) comes from L2.</summary>
    private const int BlockFloats = 32768;
    /// <summary>At most this many rows per block: each block is summed in float before going to double.</summary>
    private const int MaxBlockRows = 1024;
    /// <summary>Reduction parts; each keeps [4·channels] floats and [2·channels] doubles of partials.</summary>
    private const int MaxParts = 64;
    private const int PartFloatsPerChannel = 4;

    private enum Pass { Statistics, Normalize, GradientSums, InputGradient }

    private Pass _pass;
    private int _rows, _channels, _blockRows, _blocks, _parts;
    private float* _x, _y, _dy, _dx, _mean;
    private float[] _partFloats = [];
    private double[] _partDoubles = [];
    private double[] _meanD = [], _varianceD = [];
    private float[] _coefficients = [];

    /// <summary>Per channel: the batch mean after <see cref="Statistics"/>, Σ dy after <see cref="GradientSums"/>.</summary>
    public double[] MeanD => _meanD;
    /// <summary>Per channel: the biased variance after <see cref="Statistics"/>, Σ dy·(x − mean) after <see cref="GradientSums"/>.</summary>
    public double[] VarianceD => _varianceD;
    /// <summary>[4, channels] per-channel coefficients the element-wise passes read (set by the caller).</summary>
    public float[] Coefficients => _coefficients;

    public void Prepare(int rows, int channels)
    {
        _rows = rows;
        _channels = channels;
        _blockRows = Math.Clamp(BlockFloats / channels, 1, MaxBlockRows);
        _blocks = (rows + _blockRows - 1) / _blockRows;
        if (_meanD.Length < channels)
        {
            _meanD = new double[channels];
            _varianceD = new double[channels];
            _coefficients = GC.AllocateArray<float>(4 * channels, pinned: true);
            _partFloats = GC.AllocateArray<float>(MaxParts * PartFloatsPerChannel * channels, pinned: true);
            _partDoubles = new double[MaxParts * 2 * channels];
        }
    }

    /// <summary>Mean and biased variance of x [rows, channels] into <see cref="MeanD"/>, <see cref="VarianceD"/>.</summary>
    public void Statistics(float* x)
    {
        _x = x;
        Run(Pass.Statistics, Math.Min(_blocks, MaxParts));
        // Chan's merge of the parts, in part order.
        int channels = _channels;
        long n = 0;
        for (int p = 0; p < _parts; p++)
        {
            long np = PartRows(p);
            double wNew = (double)np / (n + np), wCross = (double)n * np / (n + np);
            for (int c = 0; c < channels; c++)
            {
                double mp = _partDoubles[p * 2 * channels + c], m2p = _partDoubles[(p * 2 + 1) * channels + c];
                if (n == 0) (_meanD[c], _varianceD[c]) = (mp, m2p);
                else
                {
                    double delta = mp - _meanD[c];
                    _meanD[c] += delta * wNew;
                    _varianceD[c] += m2p + delta * delta * wCross;
                }
            }
            n += np;
        }
        for (int c = 0; c < channels; c++) _varianceD[c] = Math.Max(_varianceD[c], 0) / n;
        _x = null;
    }

    /// <summary>y = (x − coef[0])·coef[1] + coef[2], per channel.</summary>
    public void Normalize(float* y, float* x)
    {
        _x = x; _y = y;
        Run(Pass.Normalize, _blocks);
        _x = null; _y = null;
    }

    /// <summary>Σ dy into <see cref="MeanD"/> and Σ dy·(x − mean) into <see cref="VarianceD"/>.</summary>
    public void GradientSums(float* dy, float* x, float* mean)
    {
        _dy = dy; _x = x; _mean = mean;
        Run(Pass.GradientSums, Math.Min(_blocks, MaxParts));
        int channels = _channels;
        Array.Clear(_meanD, 0, channels);
        Array.Clear(_varianceD, 0, channels);
        for (int p = 0; p < _parts; p++)
        for (int c = 0; c < channels; c++)
        {
            _meanD[c] += _partDoubles[p * 2 * channels + c];
            _varianceD[c] += _partDoubles[(p * 2 + 1) * channels + c];
        }
        _dy = null; _x = null; _mean = null;
    }

    /// <summary>dx = coef[1]·dy + coef[2]·(x − coef[0]) + coef[3], per channel.</summary>
    public void InputGradient(float* dx, float* dy, float* x)
    {
        _dx = dx; _dy = dy; _x = x;
        Run(Pass.InputGradient, _blocks);
        _dx = null; _dy = null; _x = null;
    }

    private void Run(Pass pass, int parts)
    {
        _pass = pass;
        _parts = parts;
        WorkerPool.Shared.Run(this, parts);
    }

    /// <summary>Rows of reduction part p: whole blocks, dealt evenly.</summary>
    private long PartRows(int p)
    {
        int b0 = (int)((long)_blocks * p / _parts), b1 = (int)((long)_blocks * (p + 1) / _parts);
        return Math.Min((long)b1 * _blockRows, _rows) - (long)b0 * _blockRows;
    }

    public void Execute(int part)
    {
        fixed (float* coef = _coefficients, partFloats = _partFloats)
        fixed (double* partDoubles = _partDoubles)
        {
            switch (_pass)
            {
                case Pass.Statistics: StatisticsPart(part, partFloats, partDoubles); break;
                case Pass.GradientSums: GradientSumsPart(part, partFloats, partDoubles); break;
                case Pass.Normalize:
                {
                    var (r0, rows) = Block(part);
                    var k = new NormalizeRows
                    {
                        X = _x + (nint)r0 * _channels, Y = _y + (nint)r0 * _channels,
                        Mean = coef, Scale = coef + _channels, Shift = coef + 2 * _channels,
                        Rows = rows, Channels = _channels,
                    };
                    ChannelLoop.Run(ref k, _channels);
                    break;
                }
                case Pass.InputGradient:
                {
                    var (r0, rows) = Block(part);
                    var k = new BatchNormInputGradient
                    {
                        Dy = _dy + (nint)r0 * _channels, X = _x + (nint)r0 * _channels, Dx = _dx + (nint)r0 * _channels,
                        Mean = coef, A = coef + _channels, B = coef + 2 * _channels, D = coef + 3 * _channels,
                        Rows = rows, Channels = _channels,
                    };
                    ChannelLoop.Run(ref k, _channels);
                    break;
                }
            }
        }
    }

    private (int First, int Rows) Block(int b)
    {
        int r0 = b * _blockRows;
        return (r0, Math.Min(_rows - r0, _blockRows));
    }

    /// <summary>
    /// One part's blocks. A first float sum gives each block a centre m close to its mean; the second read (from
    /// cache) sums d = x − m and d², both small and exact-ish even when the mean is large, so the block's mean
    /// m + Σd/n and M2 = Σd² − (Σd)²/n lose nothing to cancellation. Blocks merge into the part's double
    /// (mean, M2) by Chan's update.
    /// </summary>
    private void StatisticsPart(int part, float* partFloats, double* partDoubles)
    {
        int channels = _channels;
        float* sum = partFloats + (nint)part * PartFloatsPerChannel * channels, center = sum + channels;
        float* deviations = center + channels, squares = deviations + channels;
        double* mean = partDoubles + (nint)part * 2 * channels, m2 = mean + channels;
        int b0 = (int)((long)_blocks * part / _parts), b1 = (int)((long)_blocks * (part + 1) / _parts);
        long n = 0;
        for (int b = b0; b < b1; b++)
        {
            var (r0, rows) = Block(b);
            float* x = _x + (nint)r0 * channels;
            new Span<float>(sum, channels).Clear();
            var sums = new SumRows { X = x, Sum = sum, Rows = rows, Channels = channels };
            ChannelLoop.Run(ref sums, channels);
            for (int c = 0; c < channels; c++) center[c] = sum[c] / rows;
            new Span<float>(deviations, 2 * channels).Clear();
            var second = new SumDeviations { X = x, Center = center, Sum = deviations, Squares = squares, Rows = rows, Channels = channels };
            ChannelLoop.Run(ref second, channels);
            double wNew = (double)rows / (n + rows), wCross = (double)n * rows / (n + rows);
            for (int c = 0; c < channels; c++)
            {
                double shift = (double)deviations[c] / rows;
                double mb = center[c] + shift, m2b = squares[c] - rows * shift * shift;
                if (n == 0) (mean[c], m2[c]) = (mb, m2b);
                else
                {
                    double delta = mb - mean[c];
                    mean[c] += delta * wNew;
                    m2[c] += m2b + delta * delta * wCross;
                }
            }
            n += rows;
        }
    }

    /// <summary>One part's blocks of Σ dy and Σ dy·(x − mean), each block in float, added up in double.</summary>
    private void GradientSumsPart(int part, float* partFloats, double* partDoubles)
    {
        int channels = _channels;
        float* sumDy = partFloats + (nint)part * PartFloatsPerChannel * channels, sumDyCentred = sumDy + channels;
        double* totalDy = partDoubles + (nint)part * 2 * channels, totalDyCentred = totalDy + channels;
        new Span<double>(totalDy, 2 * channels).Clear();
        int b0 = (int)((long)_blocks * part / _parts), b1 = (int)((long)_blocks * (part + 1) / _parts);
        for (int b = b0; b < b1; b++)
        {
            var (r0, rows) = Block(b);
            new Span<float>(sumDy, 2 * channels).Clear();
            var k = new BatchNormGradientSums
            {
                Dy = _dy + (nint)r0 * channels, X = _x + (nint)r0 * channels, Mean = _mean,
                SumDy = sumDy, SumDyCentred = sumDyCentred, Rows = rows, Channels = channels,
            };
            ChannelLoop.Run(ref k, channels);
            for (int c = 0; c < channels; c++)
            {
                totalDy[c] += sumDy[c];
                totalDyCentred[c] += sumDyCentred[c];
            }
        }
    }
}
