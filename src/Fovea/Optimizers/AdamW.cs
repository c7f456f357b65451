using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter), Keras's defaults: Adam whose weight decay is decoupled from the gradient,
/// w ← w − lr·wd·w, then the Adam step. Exclude weights from the decay with a <see cref="ParameterGroup"/>.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW with a fixed <paramref name="learningRate"/> and decoupled <paramref name="weightDecay"/>, Keras's <c>AdamW</c>.</summary>
    public AdamW(float learningRate = 1e-3f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <summary>AdamW whose learning rate follows a schedule; the decay is scaled by the scheduled rate at each step.</summary>
    public AdamW(LearningRateSchedule learningRate, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <inheritdoc/>
    public override string Name => "adamw";
}
