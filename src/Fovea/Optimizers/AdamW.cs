using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter), Keras's defaults: Adam whose weight decay is decoupled from the gradient,
/// w ← w − lr·wd·w, then the Adam step. Exclude weights from the decay with a <see cref="ParameterGroup"/>.
/// </summary>
public sealed class AdamW : Adam
{
    public AdamW(float learningRate = 1e-3f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay) { }

    public AdamW(LearningRateSchedule learningRate, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay) { }

    public override string Name => "adamw";
}
