using Fovea.Kernels;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// A ZeroPadding2D and the max-pool that alone reads it, as one inference step: the pool reads the unpadded map and
/// takes the border's value where a window overhangs (<see cref="MaxPool.PoolImageMaxPadded"/>), the same comparisons
/// in the same order, so the same bits, without writing the padded map out and reading it back (ResNet-18's stem: 3.3 MB
/// at batch 1). A pass that keeps backward state runs the layers one by one.
/// </summary>
internal sealed class PaddedPoolStep(int poolNode, ZeroPadding2D pad, MaxPool2D pool, LayerStep padStep, LayerStep poolStep, float[] input, float[] output)
    : PlanStep
{
    private readonly MaxPoolPass _pass = new(pad.InputShape[0], pad.InputShape[1], pad.InputShape[2], pool.PoolSize, pool.Strides,
                                             (pad.Top, pad.Bottom, pad.Left, pad.Right), pad.Value);

    public override int Run(in StepContext step)
    {
        if (step.Training || step.KeepsBackwardState)
        {
            padStep.Run(step);
            return poolStep.Run(step);
        }
        _pass.Infer(output, 0, input, step.Batch);
        return poolNode;
    }
}
