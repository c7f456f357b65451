namespace Fovea.Evaluation;

/// <summary>
/// Temperature scaling (Guo et al. 2017, §4.2): one scalar T > 0 divides every logit, softmax(z / T), chosen to
/// minimise the mean negative log-likelihood of held-out labels. T &gt; 1 softens an over-confident model; the
/// predicted class never changes, so accuracy does not either.
/// </summary>
/// <remarks>
/// Fovea's models end in a softmax and return probabilities. Softmax is shift-invariant (softmax(z + c) = softmax(z)),
/// so log p serves as logits: softmax(log p / T) is the scaled model. Probabilities below
/// <see cref="ProbabilityFloor"/> (a float softmax rounds far-off classes to exactly 0) are read as the floor, since
/// log 0 = −∞; this caps such a logit about 27.6 below the top one.
/// </remarks>
public static class TemperatureScaling
{
    /// <summary>Probabilities below this are read as it before their logarithm is taken.</summary>
    public const double ProbabilityFloor = ProbabilityRows.Floor;

    /// <summary>The fitted temperature is kept in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>].</summary>
    /// <remarks>
    /// The likelihood need not have a finite minimum: when every sample's true class is alone at the top it keeps
    /// falling as T → 0, and when the logits say nothing it falls as T → ∞. The bound nearer the minimum is returned then.
    /// </remarks>
    public const double MinTemperature = 0.01;

    /// <inheritdoc cref="MinTemperature"/>
    public const double MaxTemperature = 100;

    private const int MaxIterations = 200;
    private const double Tolerance = 1e-12; // relative step in 1/T below which the fit has converged

    /// <inheritdoc cref="Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>
    public static double Fit(Tensor logits, int[] labels)
    {
        int classes = ProbabilityRows.Classes(logits, labels, nameof(logits));
        return Fit(logits.Data, classes, labels);
    }

    /// <summary>
    /// The T that minimises the mean negative log-likelihood of softmax(<paramref name="logits"/> / T) at the labels.
    /// </summary>
    /// <remarks>
    /// With β = 1/T the loss L(β) = mean(logsumexp(β z) − β z_label) is convex (a log-sum-exp of lines in β), so its
    /// derivative L'(β) = mean(E_softmax(βz)[z] − z_label) is increasing and the minimum is where it crosses 0 —
    /// unique, and unimodal in log T too. The root is found by Newton's method on L' (L'' = mean Var_softmax(βz)[z] ≥ 0)
    /// inside a bracket that every step narrows, falling back to bisection of log β whenever a Newton step would leave
    /// the bracket. All sums run in double precision in sample order: the same inputs always give the same T.
    /// </remarks>
    /// <param name="logits">Scores before the softmax, <c>[N, classes]</c> row-major.</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="labels">The true class of each row.</param>
    public static double Fit(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels)
    {
        ProbabilityRows.Check(logits, classes, labels, nameof(logits));
        for (int i = 0; i < logits.Length; i++)
            if (!float.IsFinite(logits[i]))
                throw new ArgumentException($"logits must be finite; got {logits[i]} at row {i / classes}, class {i % classes}", nameof(logits));
        double low = 1 / MaxTemperature, high = 1 / MinTemperature; // the bracket, in β = 1/T
        if (Derivatives(logits, classes, labels, low).First >= 0) return MaxTemperature;
        if (Derivatives(logits, classes, labels, high).First <= 0) return MinTemperature;

        double beta = 1; // a trained network is usually within a small factor of T = 1
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            var (first, second) = Derivatives(logits, classes, labels, beta);
            if (first == 0) break;
            if (first < 0) low = beta;
            else high = beta;
            double next = beta - first / second;
            if (!(second > 0) || !(next > low && next < high)) next = Math.Sqrt(low * high);
            bool converged = Math.Abs(next - beta) <= Tolerance * beta;
            beta = next;
            if (converged || high - low <= Tolerance * low) break;
        }
        return 1 / beta;
    }

    /// <inheritdoc cref="FitFromProbabilities(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>
    public static double FitFromProbabilities(Tensor probabilities, int[] labels)
    {
        int classes = ProbabilityRows.Classes(probabilities, labels, nameof(probabilities));
        return FitFromProbabilities(probabilities.Data, classes, labels);
    }

    /// <summary><see cref="Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/> on log p: for a model that ends in a softmax.</summary>
    /// <param name="probabilities">Class probabilities, <c>[N, classes]</c> row-major.</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="labels">The true class of each row.</param>
    public static double FitFromProbabilities(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels)
    {
        ProbabilityRows.Check(probabilities, classes, labels, nameof(probabilities));
        return Fit(LogitsFromProbabilities(probabilities), classes, labels);
    }

    /// <summary>log(max(p, <see cref="ProbabilityFloor"/>)) for each value: logits whose softmax gives back p.</summary>
    public static float[] LogitsFromProbabilities(ReadOnlySpan<float> probabilities)
    {
        var logits = new float[probabilities.Length];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)-ProbabilityRows.NegativeLog(probabilities[i]);
        return logits;
    }

    /// <inheritdoc cref="LogitsFromProbabilities(ReadOnlySpan{float})"/>
    public static Tensor LogitsFromProbabilities(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        return new Tensor(probabilities.Shape, LogitsFromProbabilities(probabilities.Data));
    }

    /// <summary>softmax(z / T) of each row, computed in double precision and rounded to float.</summary>
    /// <param name="logits">Scores before the softmax, <c>[N, classes]</c> row-major.</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="temperature">T: above 1 softens the probabilities, below 1 sharpens them.</param>
    public static float[] Apply(ReadOnlySpan<float> logits, int classes, double temperature)
    {
        CheckTemperature(temperature);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"classes must be positive; got {classes}");
        if (logits.Length % classes != 0)
            throw new ArgumentException($"logits must hold whole rows of {classes} classes; got {logits.Length} values", nameof(logits));
        var probabilities = new float[logits.Length];
        var exps = new double[classes];
        for (int start = 0; start < logits.Length; start += classes)
        {
            ReadOnlySpan<float> row = logits.Slice(start, classes);
            double max = Max(row), sum = 0;
            for (int c = 0; c < classes; c++) sum += exps[c] = Math.Exp((row[c] - max) / temperature);
            for (int c = 0; c < classes; c++) probabilities[start + c] = (float)(exps[c] / sum);
        }
        return probabilities;
    }

    /// <inheritdoc cref="Apply(ReadOnlySpan{float}, int, double)"/>
    public static Tensor Apply(Tensor logits, double temperature)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Shape.Rank != 2) throw new ArgumentException($"logits must be a [N, classes] tensor; got {logits.Shape}", nameof(logits));
        return new Tensor(logits.Shape, Apply(logits.Data, logits.Shape[1], temperature));
    }

    /// <summary>The probabilities of a softmax model scaled by temperature: softmax(log p / T).</summary>
    public static float[] ApplyToProbabilities(ReadOnlySpan<float> probabilities, int classes, double temperature) =>
        Apply(LogitsFromProbabilities(probabilities), classes, temperature);

    /// <summary>Mean −log softmax(z / T)[label] over the rows, in double precision.</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, double temperature)
    {
        CheckTemperature(temperature);
        ProbabilityRows.Check(logits, classes, labels, nameof(logits));
        double beta = 1 / temperature, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            double max = Max(row), sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(beta * (row[c] - max));
            total += Math.Log(sum) - beta * (row[labels[i]] - max);
        }
        return total / labels.Length;
    }

    /// <summary>L'(β) and L''(β) of the mean loss mean(logsumexp(β z) − β z_label), each row shifted by its maximum.</summary>
    private static (double First, double Second) Derivatives(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, double beta)
    {
        double first = 0, second = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            double max = Max(row), sum = 0, mean = 0, square = 0;
            for (int c = 0; c < classes; c++)
            {
                double z = row[c] - max, weight = Math.Exp(beta * z);
                sum += weight;
                mean += weight * z;
                square += weight * z * z;
            }
            mean /= sum;
            first += mean - (row[labels[i]] - max);
            second += Math.Max(0, square / sum - mean * mean);
        }
        return (first / labels.Length, second / labels.Length);
    }

    private static double Max(ReadOnlySpan<float> row)
    {
        float max = row[0];
        for (int c = 1; c < row.Length; c++) max = Math.Max(max, row[c]);
        return max;
    }

    private static void CheckTemperature(double temperature)
    {
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive and finite; got {temperature}");
    }
}
