using System.Runtime.Intrinsics;

namespace Fovea.Optimizers;

/// <summary>
/// Adam with Keras's defaults and update rule (β1 0.9, β2 0.999, ε 1e-7):
/// m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2); w ← w − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε).
/// Keras folds the bias correction into the step size and adds ε to √v, which PyTorch does not.
/// </summary>
public sealed class Adam : Optimizer
{
    private float[] _m = [];
    private float[] _v = [];
    private float _learningRate;

    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    {
        LearningRate = learningRate;
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1); got {beta1}");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1); got {beta2}");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive; got {epsilon}");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public override string Name => "adam";
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }

    public override float LearningRate
    {
        get => _learningRate;
        set => _learningRate = value > 0 && float.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be positive; got {value}");
    }

    public override void Initialize(int parameterCount)
    {
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        Iterations = 0;
    }

    public override IReadOnlyDictionary<string, float[]> GetSlots() => new Dictionary<string, float[]> { ["m"] = _m, ["v"] = _v };

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != _m.Length || gradients.Length != _m.Length)
            throw new ArgumentException($"Adam was initialised for {_m.Length} parameters; got {parameters.Length} parameters and {gradients.Length} gradients");
        Iterations++;
        double t = Iterations;
        float lr = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        float a1 = 1 - Beta1, a2 = 1 - Beta2, eps = Epsilon;
        var m = _m.AsSpan();
        var v = _v.AsSpan();
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= parameters.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Create(gradients[i..]);
                var mi = Vector512.Create(m[i..]);
                var vi = Vector512.Create(v[i..]);
                mi += (g - mi) * a1;
                vi += (g * g - vi) * a2;
                var w = Vector512.Create(parameters[i..]) - lr * mi / (Vector512.Sqrt(vi) + Vector512.Create(eps));
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                w.CopyTo(parameters[i..]);
            }
        }
        // The scalar tail computes the same expression in the same order as the vector lanes.
        for (; i < parameters.Length; i++)
        {
            float g = gradients[i];
            m[i] += (g - m[i]) * a1;
            v[i] += (g * g - v[i]) * a2;
            parameters[i] -= lr * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}
