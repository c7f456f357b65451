using System.Runtime.Intrinsics;
using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, in PyTorch's form (what the
/// published CIFAR recipes are tuned for): g ← ∇ + wd·w; b ← μ·b + g; w ← w − lr·(Nesterov ? g + μ·b : b).
/// With momentum 0 it is plain SGD (w ← w − lr·g), as Keras's.
/// </summary>
public sealed class Sgd : Optimizer
{
    private float[] _momentumBuffer = [];

    /// <summary>SGD with a fixed <paramref name="learningRate"/>, PyTorch's <c>SGD(lr, momentum, nesterov, weight_decay)</c>.</summary>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : base(learningRate, weightDecay) => (Momentum, Nesterov) = Check(momentum, nesterov);

    /// <summary>SGD whose learning rate follows a schedule, read at each step.</summary>
    public Sgd(LearningRateSchedule learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : base(learningRate, weightDecay) => (Momentum, Nesterov) = Check(momentum, nesterov);

    private static (float, bool) Check(float momentum, bool nesterov)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum must be in [0, 1); got {momentum}");
        if (nesterov && momentum == 0) throw new ArgumentException("nesterov needs a positive momentum", nameof(nesterov));
        return (momentum, nesterov);
    }

    /// <inheritdoc/>
    public override string Name => "sgd";
    /// <summary>The momentum factor μ; 0 for plain SGD.</summary>
    public float Momentum { get; }
    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override void Initialize(int parameterCount)
    {
        _momentumBuffer = Momentum > 0 ? new float[parameterCount] : [];
        Iterations = 0;
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, float[]> GetSlots() =>
        Momentum > 0 ? new Dictionary<string, float[]> { ["momentum"] = _momentumBuffer } : new Dictionary<string, float[]>();

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> grad, int offset, float lr, float wd)
    {
        float mu = Momentum;
        if (mu == 0)
        {
            for (int j = 0; j < w.Length; j++) w[j] -= lr * (grad[j] + wd * w[j]);
            return;
        }
        var b = _momentumBuffer.AsSpan(offset, w.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vmu = Vector256.Create(mu);
            for (; i <= w.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wi = Vector256.Create(w[i..]);
                var g = Vector256.Create(grad[i..]) + wd * wi;
                var bi = vmu * Vector256.Create(b[i..]) + g;
                var step = Nesterov ? g + vmu * bi : bi;
                bi.CopyTo(b[i..]);
                (wi - lr * step).CopyTo(w[i..]);
            }
        }
        // The scalar tail computes the same expression in the same order as the vector lanes.
        for (; i < w.Length; i++)
        {
            float g = grad[i] + wd * w[i];
            b[i] = mu * b[i] + g;
            w[i] -= lr * (Nesterov ? g + mu * b[i] : b[i]);
        }
    }
}
