namespace Fovea.Models;

/// <summary>The parts of a training step, in the order they run.</summary>
internal enum StepPart { ZeroGradients, Forward, Loss, Backward, GradientSum, Optimizer }

/// <summary>
/// Watches the real training step part by part (the profiler of <c>fovea bench --layers</c>): told when the step
/// starts, after each part (with its node for a forward or backward), and when it ends, on the thread that ran the
/// part. A step trained in slices reports its first slice's parts (the slices run side by side) and the gradient
/// sum, which includes the wait for the other slices.
/// </summary>
internal interface IStepObserver
{
    void StepStarted();

    /// <summary>The step runs in <paramref name="slices"/> slices, one per worker part with every kernel inline;
    /// the forward and backward parts reported are those of the first, on <paramref name="firstSliceImages"/> images.</summary>
    void Sliced(int slices, int firstSliceImages);

    void PartEnded(StepPart part, int node = -1);

    void StepEnded(int batch);
}
