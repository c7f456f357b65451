namespace Fovea.Losses;

/// <summary>The plain double-precision version of the label-smoothed cross-entropy <see cref="SparseCategoricalCrossentropy"/> computes from logits: the definition, term by term.</summary>
internal static class LabelSmoothedCrossEntropyReference
{
    public static double Compute(double[] grad, ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes, double smoothing, double gradScale)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double max = double.NegativeInfinity, sum = 0, mean = 0;
            for (int k = 0; k < classes; k++) max = Math.Max(max, logits[i * classes + k]);
            for (int k = 0; k < classes; k++) sum += Math.Exp(logits[i * classes + k] - max);
            double lse = max + Math.Log(sum);
            for (int k = 0; k < classes; k++)
            {
                double z = logits[i * classes + k];
                mean += z / classes;
                double target = (k == labels[i] ? 1 - smoothing : 0) + smoothing / classes;
                grad[i * classes + k] = gradScale * (Math.Exp(z - lse) - target);
            }
            total += (1 - smoothing) * (lse - logits[i * classes + labels[i]]) + smoothing * (lse - mean);
        }
        return total;
    }
}
