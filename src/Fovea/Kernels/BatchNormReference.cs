namespace Fovea.Kernels;

/// <summary>
/// The plain version of <see cref="BatchNorm"/>: the textbook formulas in double (inputs too, so tests can take finite differences of it), one channel at a time, two passes
/// for the variance. Tests compare the fast kernels with it; it is also the one to read first.
/// </summary>
public static class BatchNormReference
{
    /// <summary>Batch mean, biased variance and invStd = 1/√(var + ε) per channel; y = (x − mean)·invStd·γ + β.</summary>
    public static void TrainingForward(double[] y, double[] mean, double[] invStd, double[] variance,
        ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, int rows, int channels, double epsilon)
    {
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += x[r * channels + c];
            double m = sum / rows, squares = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = x[r * channels + c] - m;
                squares += d * d;
            }
            mean[c] = m;
            variance[c] = squares / rows;
            invStd[c] = 1 / Math.Sqrt(variance[c] + epsilon);
            double g = gamma.IsEmpty ? 1 : gamma[c], b = beta.IsEmpty ? 0 : beta[c];
            for (int r = 0; r < rows; r++) y[r * channels + c] = (x[r * channels + c] - m) * invStd[c] * g + b;
        }
    }

    /// <summary>y = (x − movingMean)·γ/√(movingVariance + ε) + β.</summary>
    public static void InferenceForward(double[] y, ReadOnlySpan<double> x, ReadOnlySpan<double> movingMean, ReadOnlySpan<double> movingVariance,
        ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, int rows, int channels, double epsilon)
    {
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < channels; c++)
        {
            double g = gamma.IsEmpty ? 1 : gamma[c], b = beta.IsEmpty ? 0 : beta[c];
            y[r * channels + c] = (x[r * channels + c] - movingMean[c]) * g / Math.Sqrt(movingVariance[c] + epsilon) + b;
        }
    }

    /// <summary>
    /// x̂ = (x − mean)·invStd; dβ = Σ dy; dγ = Σ dy·x̂; dx = γ·invStd/R·(R·dy − Σdy − x̂·Σ(dy·x̂)). Writes (not adds)
    /// dgamma and dbeta.
    /// </summary>
    public static void Backward(double[] dx, double[] dgamma, double[] dbeta, ReadOnlySpan<double> dy, ReadOnlySpan<double> x,
        ReadOnlySpan<double> mean, ReadOnlySpan<double> invStd, ReadOnlySpan<double> gamma, int rows, int channels)
    {
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                sumDy += dy[i];
                sumDyXhat += dy[i] * (x[i] - mean[c]) * invStd[c];
            }
            dbeta[c] = sumDy;
            dgamma[c] = sumDyXhat;
            double g = gamma.IsEmpty ? 1 : gamma[c];
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                double xhat = (x[i] - mean[c]) * invStd[c];
                dx[i] = g * invStd[c] / rows * (rows * dy[i] - sumDy - xhat * sumDyXhat);
            }
        }
    }
}
