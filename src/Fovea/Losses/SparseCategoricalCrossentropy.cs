using System.Numerics.Tensors;

namespace Fovea.Losses;

/// <summary>
/// Cross-entropy against integer class labels, Keras's <c>SparseCategoricalCrossentropy</c>.
/// With probabilities from a softmax the model fuses the two: the loss is computed from the logits as
/// logsumexp(z) − z[y], which cannot overflow or take log(0), and its gradient is simply p − onehot(y).
/// </summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] before the log when not fused, as Keras does.</summary>
    private const float Epsilon = 1e-7f;

    public bool FromLogits { get; } = fromLogits;
    public override string Name => "sparse_categorical_crossentropy";

    /// <summary>
    /// Loss from logits z and probabilities p = softmax(z): returns Σ_i (logsumexp(z_i) − z_i[y_i]) and, if
    /// <paramref name="grad"/> is not empty, writes dL/dz = (p − onehot(y)) / scale.
    /// </summary>
    internal static double FromLogitsAndProbabilities(Span<float> grad, ReadOnlySpan<float> logits, ReadOnlySpan<float> probs,
        ReadOnlySpan<int> labels, int classes, float scale)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.Slice(i * classes, classes);
            int y = CheckLabel(labels[i], classes);
            float max = TensorPrimitives.Max(z);
            double sum = 0;
            foreach (float v in z) sum += Math.Exp(v - max);
            total += max + Math.Log(sum) - z[y];
            if (grad.IsEmpty) continue;
            var g = grad.Slice(i * classes, classes);
            TensorPrimitives.Multiply(probs.Slice(i * classes, classes), 1f / scale, g);
            g[y] -= 1f / scale;
        }
        return total;
    }

    /// <summary>Loss from probabilities (no fusion possible): Σ_i −log(clip(p_i[y_i])); gradient −1/(p·scale) at the label.</summary>
    internal static double FromProbabilities(Span<float> grad, ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, int classes, float scale)
    {
        double total = 0;
        if (!grad.IsEmpty) grad[..(labels.Length * classes)].Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            int y = CheckLabel(labels[i], classes);
            float p = probs[i * classes + y];
            float clipped = Math.Clamp(p, Epsilon, 1 - Epsilon);
            total -= Math.Log(clipped);
            if (!grad.IsEmpty && p == clipped) grad[i * classes + y] = -1f / (p * scale);
        }
        return total;
    }

    private static int CheckLabel(int y, int classes) =>
        (uint)y < (uint)classes ? y : throw new ArgumentOutOfRangeException("labels", $"labels must be in [0, {classes}); got {y}");
}
