namespace Fovea.Tests.Evaluation;

/// <summary>Random logits with labels drawn from their tempered softmax: data whose best temperature is known.</summary>
internal static class SyntheticLogits
{
    /// <summary>
    /// <paramref name="count"/> rows of <paramref name="classes"/> Gaussian logits (standard deviation
    /// <paramref name="scale"/>), each label drawn from softmax(z / <paramref name="temperature"/>), from a seeded Rng.
    /// </summary>
    public static (float[] Logits, int[] Labels) Make(int count, int classes, double temperature, double scale = 3, long seed = 7)
    {
        var rng = Rng.For(seed, "synthetic-logits");
        var logits = new float[count * classes];
        var labels = new int[count];
        var weights = new double[classes];
        for (int i = 0; i < count; i++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                logits[i * classes + c] = (float)(scale * Gaussian(rng));
                sum += weights[c] = Math.Exp(logits[i * classes + c] / temperature);
            }
            double u = rng.NextDouble() * sum;
            int label = classes - 1;
            for (int c = 0; c < classes - 1; c++)
            {
                u -= weights[c];
                if (u < 0) { label = c; break; }
            }
            labels[i] = label;
        }
        return (logits, labels);
    }

    /// <summary>softmax of each row, in double precision rounded to float: what a model ending in a softmax returns.</summary>
    public static float[] Softmax(float[] logits, int classes)
    {
        var probabilities = new float[logits.Length];
        for (int start = 0; start < logits.Length; start += classes)
        {
            double max = logits.AsSpan(start, classes).ToArray().Max(), sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[start + c] - max);
            for (int c = 0; c < classes; c++) probabilities[start + c] = (float)(Math.Exp(logits[start + c] - max) / sum);
        }
        return probabilities;
    }

    public static int[] ArgMax(float[] rows, int classes) =>
        Enumerable.Range(0, rows.Length / classes).Select(i =>
        {
            int best = 0;
            for (int c = 1; c < classes; c++) if (rows[i * classes + c] > rows[i * classes + best]) best = c;
            return best;
        }).ToArray();

    private static double Gaussian(Rng rng)
    {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
        double u = 1 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
