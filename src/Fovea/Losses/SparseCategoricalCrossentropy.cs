using System.Numerics.Tensors;
using Fovea.Kernels;

namespace Fovea.Losses;

/// <summary>
/// Cross-entropy against integer class labels, Keras's <c>SparseCategoricalCrossentropy</c>, with PyTorch's
/// <c>label_smoothing</c>: the target is (1 − ε)·onehot(y) + ε/K. With probabilities from a softmax the model fuses
/// the two: the loss is computed from the logits as logsumexp(z) − (1 − ε)·z[y] − ε·mean(z), which cannot overflow
/// or take log(0), and its gradient is simply p − target.
/// </summary>
public sealed class SparseCategoricalCrossentropy : Loss
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] before the log when not fused, as Keras does.</summary>
    private const float Epsilon = 1e-7f;

    /// <summary>The loss as Keras's <c>SparseCategoricalCrossentropy(from_logits, reduction)</c> with PyTorch's
    /// <c>label_smoothing</c>, in [0, 1).</summary>
    public SparseCategoricalCrossentropy(bool fromLogits = false, float labelSmoothing = 0f, Reduction reduction = Reduction.SumOverBatchSize)
        : base(reduction)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"labelSmoothing must be in [0, 1); got {labelSmoothing}");
        FromLogits = fromLogits;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Whether the model's outputs are logits rather than probabilities.</summary>
    public bool FromLogits { get; }
    /// <summary>The label smoothing ε: the target is (1 − ε)·onehot(y) + ε/K.</summary>
    public float LabelSmoothing { get; }
    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    /// <inheritdoc/>
    public override double Compute(Span<float> gradient, ReadOnlySpan<float> output, ReadOnlySpan<int> labels, int classes, float scale)
    {
        int n = labels.Length * classes;
        if (!FromLogits) return FromProbabilities(gradient, output, labels, classes, scale);
        // The gradient buffer doubles as scratch for the probabilities: dL/dz = p − target overwrites them in place.
        var probs = gradient.IsEmpty ? new float[n] : gradient;
        ActivationKernels.Softmax(probs[..n], output[..n], labels.Length, classes);
        return FromLogitsAndProbabilities(gradient, output, probs, labels, classes, scale);
    }

    /// <summary>
    /// Loss from logits z and probabilities p = softmax(z): returns Σ_i (logsumexp(z_i) − (1 − ε)·z_i[y_i] − ε·mean(z_i))
    /// and, if <paramref name="grad"/> is not empty, writes dL/dz = (p − target)·scale (in place when grad is probs).
    /// </summary>
    internal double FromLogitsAndProbabilities(Span<float> grad, ReadOnlySpan<float> logits, ReadOnlySpan<float> probs,
        ReadOnlySpan<int> labels, int classes, float scale)
    {
        double total = 0;
        float eps = LabelSmoothing, onLabel = (1 - eps) * scale, uniform = eps / classes * scale;
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.Slice(i * classes, classes);
            int y = CheckLabel(labels[i], classes);
            float max = TensorPrimitives.Max(z);
            double sum = 0;
            foreach (float v in z) sum += Math.Exp(v - max);
            double lse = max + Math.Log(sum);
            total += lse - (1 - eps) * z[y];
            if (eps > 0) total -= eps * (TensorPrimitives.Sum(z) / classes);
            if (grad.IsEmpty) continue;
            var g = grad.Slice(i * classes, classes);
            TensorPrimitives.Multiply(probs.Slice(i * classes, classes), scale, g);
            if (eps > 0) TensorPrimitives.Subtract(g, uniform, g);
            g[y] -= onLabel;
        }
        return total;
    }

    /// <summary>
    /// MixUp's blended targets on logits z: row i's target becomes (1 − w_i)·onehot(y_i) + w_i·onehot(y'_i), smoothed
    /// as before. Given the loss and gradient for the plain labels y, returns what the blend adds to the loss,
    /// Σ_i (1 − ε)·w_i·(z_i[y_i] − z_i[y'_i]), and adds its part to <paramref name="grad"/> unless that is empty.
    /// </summary>
    internal double MixTargets(Span<float> grad, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        ReadOnlySpan<int> partnerLabels, ReadOnlySpan<float> partnerWeights, int classes, float scale)
    {
        double total = 0;
        float keep = 1 - LabelSmoothing;
        for (int i = 0; i < labels.Length; i++)
        {
            float w = partnerWeights[i] * keep;
            int a = CheckLabel(labels[i], classes), b = CheckLabel(partnerLabels[i], classes);
            if (w == 0 || a == b) continue;
            total += w * ((double)logits[i * classes + a] - logits[i * classes + b]);
            if (grad.IsEmpty) continue;
            grad[i * classes + a] += w * scale;
            grad[i * classes + b] -= w * scale;
        }
        return total;
    }

    /// <summary>Loss from probabilities (no fusion possible): Σ_i −Σ_k target_k·log(clip(p_ik)); gradient −target/(p·scale⁻¹).</summary>
    private double FromProbabilities(Span<float> grad, ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, int classes, float scale)
    {
        double total = 0;
        float eps = LabelSmoothing;
        if (!grad.IsEmpty) grad[..(labels.Length * classes)].Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            int y = CheckLabel(labels[i], classes);
            for (int k = 0; k < classes; k++)
            {
                float target = (k == y ? 1 - eps : 0) + eps / classes;
                if (target == 0) continue;
                float p = probs[i * classes + k];
                float clipped = Math.Clamp(p, Epsilon, 1 - Epsilon);
                total -= target * Math.Log(clipped);
                if (!grad.IsEmpty && p == clipped) grad[i * classes + k] = -target * scale / p;
            }
        }
        return total;
    }

    private static int CheckLabel(int y, int classes) =>
        (uint)y < (uint)classes ? y : throw new ArgumentOutOfRangeException("labels", $"labels must be in [0, {classes}); got {y}");
}
