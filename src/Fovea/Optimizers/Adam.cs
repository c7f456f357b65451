using System.Runtime.Intrinsics;
using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// Adam with Keras's defaults and update rule (β1 0.9, β2 0.999, ε 1e-7):
/// m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2); w ← w − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε).
/// Keras folds the bias correction into the step size and adds ε to √v, which PyTorch does not.
/// With <c>weightDecay</c> it is AdamW (<see cref="AdamW"/>): w ← w − lr·wd·w before the Adam step, decoupled from the gradient.
/// </summary>
public class Adam : Optimizer
{
    private float[] _m = [];
    private float[] _v = [];
    private float _correction;

    /// <summary>Adam with a fixed <paramref name="learningRate"/>, Keras's <c>Adam(learning_rate, beta_1, beta_2, epsilon)</c>.</summary>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : this(learningRate, beta1, beta2, epsilon, 0f) { }

    /// <summary>Adam whose learning rate follows a schedule, read at each step.</summary>
    public Adam(LearningRateSchedule learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : this(learningRate, beta1, beta2, epsilon, 0f) { }

    private protected Adam(float learningRate, float beta1, float beta2, float epsilon, float weightDecay)
        : base(learningRate, weightDecay) => (Beta1, Beta2, Epsilon) = Check(beta1, beta2, epsilon);

    private protected Adam(LearningRateSchedule learningRate, float beta1, float beta2, float epsilon, float weightDecay)
        : base(learningRate, weightDecay) => (Beta1, Beta2, Epsilon) = Check(beta1, beta2, epsilon);

    private static (float, float, float) Check(float beta1, float beta2, float epsilon)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1); got {beta1}");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1); got {beta2}");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive; got {epsilon}");
        return (beta1, beta2, epsilon);
    }

    /// <inheritdoc/>
    public override string Name => "adam";
    /// <summary>Decay rate of the first-moment (mean) estimate.</summary>
    public float Beta1 { get; }
    /// <summary>Decay rate of the second-moment (uncentred variance) estimate.</summary>
    public float Beta2 { get; }
    /// <summary>Added to √v in the denominator, for stability.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public override void Initialize(int parameterCount)
    {
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        Iterations = 0;
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, float[]> GetSlots() => new Dictionary<string, float[]> { ["m"] = _m, ["v"] = _v };

    /// <inheritdoc/>
    public override void Step(Span<float> weights, ReadOnlySpan<float> gradients)
    {
        if (gradients.Length != _m.Length || weights.Length < gradients.Length)
            throw new ArgumentException($"Adam was initialised for {_m.Length} parameters; got {weights.Length} weights and {gradients.Length} gradients");
        base.Step(weights, gradients);
    }

    /// <inheritdoc/>
    protected override void BeginStep()
    {
        double t = Iterations;
        _correction = (float)(Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        if (weightDecay > 0)
        {
            float keep = 1 - learningRate * weightDecay;
            for (int j = 0; j < parameters.Length; j++) parameters[j] *= keep;
        }
        float lr = learningRate * _correction;
        float a1 = 1 - Beta1, a2 = 1 - Beta2, eps = Epsilon;
        var m = _m.AsSpan(offset, parameters.Length);
        var v = _v.AsSpan(offset, parameters.Length);
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
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= parameters.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Create(gradients[i..]);
                var mi = Vector256.Create(m[i..]);
                var vi = Vector256.Create(v[i..]);
                mi += (g - mi) * a1;
                vi += (g * g - vi) * a2;
                var w = Vector256.Create(parameters[i..]) - lr * mi / (Vector256.Sqrt(vi) + Vector256.Create(eps));
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
