namespace Fovea.Kernels;

/// <summary>
/// Batch normalisation over NHWC activations seen as [rows = N·H·W, channels]. <see cref="BatchNormReference"/> is the
/// plain double-precision version of the same contract.
/// <para>
/// Memory: forward saves only mean and 1/σ per channel; backward recomputes x̂ = (x − mean)·invStd from the input,
/// which the model keeps anyway, so no [rows, channels] buffer is added (at batch 1024 one is 59 MB at 64×15×15).
/// </para>
/// <para>
/// Determinism: rows are cut into blocks and parts fixed by (rows, channels) alone; each part accumulates its own
/// partials and the calling thread combines them in part order, so results are the same bits for any thread count.
/// Statistics are numerically sound: each block's deviations from a centre near its mean (a second read, from
/// cache) are summed with their squares in float, and blocks and parts are merged in double by Chan's pairwise
/// update, so a mean far from zero does not cancel the variance away. Allocation-free once scratch has grown to the largest shape.
/// </para>
/// <para>
/// Empty <c>gamma</c> means γ ≡ 1 and empty <c>beta</c> means β ≡ 0 (Keras's scale=False / center=False; airbench
/// freezes γ at 1).
/// </para>
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>
    /// Batch statistics, then y = (x − mean)·invStd·γ + β with invStd = 1/√(var + ε).
    /// <paramref name="variance"/> receives the biased batch variance Σ(x − mean)²/rows (Keras updates its moving
    /// variance with this; PyTorch with the unbiased var·rows/(rows − 1)); pass it empty to skip.
    /// y may be x itself.
    /// </summary>
    public static void TrainingForward(
        Span<float> y,                  // [rows, channels]
        Span<float> mean,               // [channels]
        Span<float> invStd,             // [channels]
        Span<float> variance,           // [channels] or empty
        ReadOnlySpan<float> x,          // [rows, channels]
        ReadOnlySpan<float> gamma,      // [channels] or empty
        ReadOnlySpan<float> beta,       // [channels] or empty
        int rows, int channels, float epsilon)
    {
        CheckNormalization(y, x, gamma, beta, rows, channels, epsilon);
        CheckVector(mean, nameof(mean), channels, optional: false);
        CheckVector(invStd, nameof(invStd), channels, optional: false);
        CheckVector(variance, nameof(variance), channels, optional: true);
        var work = Work;
        work.Prepare(rows, channels);
        fixed (float* px = x, py = y, pg = gamma, pb = beta)
        {
            work.Statistics(px);
            var meanD = work.MeanD;
            var varD = work.VarianceD;
            var coef = work.Coefficients;   // [mean | scale | shift]
            for (int c = 0; c < channels; c++)
            {
                double inv = 1 / Math.Sqrt(varD[c] + epsilon);
                mean[c] = (float)meanD[c];
                invStd[c] = (float)inv;
                if (!variance.IsEmpty) variance[c] = (float)varD[c];
                coef[c] = (float)meanD[c];
                coef[channels + c] = (float)(inv * (gamma.IsEmpty ? 1f : gamma[c]));
                coef[2 * channels + c] = beta.IsEmpty ? 0f : beta[c];
            }
            work.Normalize(py, px);
        }
    }

    /// <summary>Mean and biased variance per channel over the rows, as <see cref="TrainingForward"/> computes them.</summary>
    public static void Statistics(
        Span<float> mean,               // [channels]
        Span<float> variance,           // [channels]
        ReadOnlySpan<float> x,          // [rows, channels]
        int rows, int channels)
    {
        CheckShape(rows, channels, 0f);
        CheckActivations(x, nameof(x), rows, channels);
        CheckVector(mean, nameof(mean), channels, optional: false);
        CheckVector(variance, nameof(variance), channels, optional: false);
        var work = Work;
        work.Prepare(rows, channels);
        fixed (float* px = x) work.Statistics(px);
        for (int c = 0; c < channels; c++)
        {
            mean[c] = (float)work.MeanD[c];
            variance[c] = (float)work.VarianceD[c];
        }
    }

    /// <summary>y = (x − movingMean)·γ/√(movingVariance + ε) + β. y may be x itself.</summary>
    public static void InferenceForward(
        Span<float> y,                  // [rows, channels]
        ReadOnlySpan<float> x,          // [rows, channels]
        ReadOnlySpan<float> movingMean,       // [channels]
        ReadOnlySpan<float> movingVariance,   // [channels]
        ReadOnlySpan<float> gamma,      // [channels] or empty
        ReadOnlySpan<float> beta,       // [channels] or empty
        int rows, int channels, float epsilon)
    {
        CheckNormalization(y, x, gamma, beta, rows, channels, epsilon);
        CheckVector(movingMean, nameof(movingMean), channels, optional: false);
        CheckVector(movingVariance, nameof(movingVariance), channels, optional: false);
        var work = Work;
        work.Prepare(rows, channels);
        var coef = work.Coefficients;
        for (int c = 0; c < channels; c++)
        {
            coef[c] = movingMean[c];
            coef[channels + c] = (float)((gamma.IsEmpty ? 1f : gamma[c]) / Math.Sqrt((double)movingVariance[c] + epsilon));
            coef[2 * channels + c] = beta.IsEmpty ? 0f : beta[c];
        }
        fixed (float* px = x, py = y) work.Normalize(py, px);
    }

    /// <summary>
    /// Backward of <see cref="TrainingForward"/> with x̂ = (x − mean)·invStd recomputed from x:
    /// dβ += Σ dy, dγ += Σ dy·x̂, dx = γ·invStd/R·(R·dy − Σdy − x̂·Σ(dy·x̂)) with R = rows.
    /// Gradients of γ and β accumulate; pass any of <paramref name="dx"/>, <paramref name="dgamma"/>,
    /// <paramref name="dbeta"/> empty to skip it (a frozen γ, the network's first layer). dx may be dy itself.
    /// </summary>
    public static void Backward(
        Span<float> dx,                 // [rows, channels] or empty
        Span<float> dgamma,             // [channels] or empty
        Span<float> dbeta,              // [channels] or empty
        ReadOnlySpan<float> dy,         // [rows, channels]
        ReadOnlySpan<float> x,          // [rows, channels]
        ReadOnlySpan<float> mean,       // [channels], from TrainingForward
        ReadOnlySpan<float> invStd,     // [channels], from TrainingForward
        ReadOnlySpan<float> gamma,      // [channels] or empty
        int rows, int channels)
    {
        CheckShape(rows, channels, 0f);
        CheckActivations(dy, nameof(dy), rows, channels);
        CheckActivations(x, nameof(x), rows, channels);
        if (!dx.IsEmpty)
        {
            CheckActivations(dx, nameof(dx), rows, channels);
            CheckInPlace(dx, nameof(dx), dy, nameof(dy), rows * channels);
            if (dx[..(rows * channels)].Overlaps(x[..(rows * channels)]))
                throw new ArgumentException("dx must not overlap x", nameof(dx));
        }
        CheckVector(dgamma, nameof(dgamma), channels, optional: true);
        CheckVector(dbeta, nameof(dbeta), channels, optional: true);
        CheckVector(mean, nameof(mean), channels, optional: false);
        CheckVector(invStd, nameof(invStd), channels, optional: false);
        CheckVector(gamma, nameof(gamma), channels, optional: true);
        var work = Work;
        work.Prepare(rows, channels);
        fixed (float* pdy = dy, px = x, pdx = dx, pmean = mean)
        {
            work.GradientSums(pdy, px, pmean);
            var sumDy = work.MeanD;            // reused: Σ dy
            var sumDyCentred = work.VarianceD; // reused: Σ dy·(x − mean)
            var coef = work.Coefficients;      // [mean | a | b | d]
            for (int c = 0; c < channels; c++)
            {
                double inv = invStd[c], g = gamma.IsEmpty ? 1.0 : gamma[c];
                double sumDyXhat = inv * sumDyCentred[c];
                if (!dbeta.IsEmpty) dbeta[c] += (float)sumDy[c];
                if (!dgamma.IsEmpty) dgamma[c] += (float)sumDyXhat;
                // dx = k·dy − k·inv·ΣdyX̂/R·(x − mean) − k·Σdy/R with k = γ·invStd.
                double k = g * inv;
                coef[c] = mean[c];
                coef[channels + c] = (float)k;
                coef[2 * channels + c] = (float)(-k * inv * sumDyXhat / rows);
                coef[3 * channels + c] = (float)(-k * sumDy[c] / rows);
            }
            if (!dx.IsEmpty) work.InputGradient(pdx, pdy, px);
        }
    }

    [ThreadStatic] private static BatchNormWork? t_work;
    private static BatchNormWork Work => t_work ??= new BatchNormWork();

    /// <summary>What every normalising pass checks: the shape, x and y [rows, channels] (y may be x itself, no other
    /// overlap), and γ and β [channels] or empty.</summary>
    private static void CheckNormalization(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
                                           int rows, int channels, float epsilon)
    {
        CheckShape(rows, channels, epsilon);
        CheckActivations(x, nameof(x), rows, channels);
        CheckActivations(y, nameof(y), rows, channels);
        CheckInPlace(y, nameof(y), x, nameof(x), rows * channels);
        CheckVector(gamma, nameof(gamma), channels, optional: true);
        CheckVector(beta, nameof(beta), channels, optional: true);
    }

    private static void CheckShape(int rows, int channels, float epsilon)
    {
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows must be positive; got {rows}");
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"channels must be positive; got {channels}");
        if ((long)rows * channels > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows × channels must fit an int; got {rows} × {channels}");
        if (!(epsilon >= 0) || float.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"epsilon must be finite and non-negative; got {epsilon}");
    }

    internal static void CheckActivations(ReadOnlySpan<float> span, string name, int rows, int channels)
    {
        if (span.Length < rows * channels)
            throw new ArgumentException($"{name} must hold at least rows × channels = {rows} × {channels} floats; got {span.Length}", name);
    }

    internal static void CheckVector(ReadOnlySpan<float> span, string name, int channels, bool optional)
    {
        if (span.Length == channels || optional && span.IsEmpty) return;
        string expected = optional ? $"be empty or hold channels = {channels}" : $"hold channels = {channels}";
        throw new ArgumentException($"{name} must {expected} values; got {span.Length}", name);
    }

    /// <summary>An output may be its input exactly (in place) but must not partly overlap it.</summary>
    internal static void CheckInPlace(ReadOnlySpan<float> output, string outputName, ReadOnlySpan<float> input, string inputName, int count)
    {
        if (output[..count].Overlaps(input[..count], out int offset) && offset != 0)
            throw new ArgumentException($"{outputName} must be {inputName} itself or not overlap it; got an offset of {offset}", outputName);
    }
}
