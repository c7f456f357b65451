using Fovea.Layers;

namespace Fovea.Models;

/// <summary>One step of an inference pass in an <see cref="ExecutionPlan"/>: a node, or a fused run of nodes from it.</summary>
internal abstract class PlanStep
{
    /// <summary>Runs the step on <paramref name="step"/>'s batch; returns the last node it computed.</summary>
    public abstract int Run(in StepContext step);
}

/// <summary>A node's layer on its own: output = layer(inputs).</summary>
internal sealed class LayerStep(int node, Layer layer, float[] output, float[][] inputs) : PlanStep
{
    public override int Run(in StepContext step)
    {
        layer.Forward(output, inputs, step);
        return node;
    }
}

/// <summary>
/// A Normalization folded into the 'valid' convolution after it (x·a + b through the kernel is x·(kernel·a) + Σ
/// kernel·b): the convolution's step on the normalisation's input; the layer itself when folding is off.
/// </summary>
internal sealed class InputNormalizationStep(LayerStep layer, Normalization norm, float[] input, ConvolutionStep convolution) : PlanStep
{
    public override int Run(in StepContext step) =>
        Engine.KernelOptions.FoldBatchNorm && convolution.TryRun(input, norm, step, out int last) ? last : layer.Run(step);
}

/// <summary>
/// A ZeroPadding2D that is the padding of the 'valid' convolution after it (<see cref="ConvolutionStep.PaddedGeometry"/>):
/// the convolution's step on the padding's input, without the padded copy; the layer itself where that cannot run.
/// </summary>
internal sealed class PaddedInputStep(LayerStep layer, ConvolutionStep convolution) : PlanStep
{
    public override int Run(in StepContext step) => convolution.TryRunPadded(step, out int last) ? last : layer.Run(step);
}
