using System.Diagnostics;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Entry points for <c>fovea bench</c>, the benchmarks project and the allocation tests: one training step or one
/// forward pass on a batch the caller already holds as floats, without <c>Fit</c>'s shuffle, gather and callbacks.
/// </summary>
public partial class Model
{
    /// <summary>
    /// One optimisation step on <paramref name="x"/> [batch, input size] with labels <paramref name="y"/> [batch];
    /// returns the batch's mean loss. The first call for a larger batch plans the buffers; later calls allocate nothing.
    /// </summary>
    internal double TrainOnBatch(ReadOnlySpan<float> x, ReadOnlySpan<int> y)
    {
        int batch = LoadBatch(x, y);
        var (loss, _) = TrainStep(batch);
        return loss / batch;
    }

    /// <summary>
    /// <see cref="TrainOnBatch(ReadOnlySpan{float}, ReadOnlySpan{int})"/> with <paramref name="observer"/> told of every
    /// part of the step as it ends: the real step, whole-batch or in slices, not a copy of it.
    /// </summary>
    internal double TrainOnBatch(ReadOnlySpan<float> x, ReadOnlySpan<int> y, IStepObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        int batch = LoadBatch(x, y);
        observer.StepStarted();
        var (loss, _) = TrainStep(batch, observer);
        observer.StepEnded(batch);
        return loss / batch;
    }

    /// <summary>
    /// Forward, loss and backward on a caller's batch without the optimiser's step: returns the mean loss and leaves
    /// dL/d(weights) in <see cref="GradientBlock"/>. For gradient checks of whole models.
    /// </summary>
    internal double LossAndGradients(ReadOnlySpan<float> x, ReadOnlySpan<int> y)
    {
        int batch = LoadBatch(x, y);
        Array.Clear(_gradients);
        ForwardPass(batch, training: true);
        double loss = LossAndGradient(batch, withGradient: true);
        BackwardPass(batch);
        return loss / batch;
    }

    /// <summary>
    /// The model's output for <paramref name="batch"/> samples of <paramref name="x"/> into <paramref name="output"/>
    /// [batch, classes]. The first call for a larger batch plans the buffers; later calls allocate nothing.
    /// </summary>
    internal void PredictBatch(Span<float> output, ReadOnlySpan<float> x, int batch)
    {
        Build();
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be positive; got {batch}");
        long inSize = InputShape.Size, outSize = OutputShape.Size;
        if (x.Length != batch * inSize)
            throw new ArgumentException($"x must hold {batch} samples of {InputShape} ({batch * inSize} floats); got {x.Length}", nameof(x));
        if (output.Length != batch * outSize)
            throw new ArgumentException($"output must hold {batch} outputs of {OutputShape} ({batch * outSize} floats); got {output.Length}", nameof(output));
        EnsureCapacity(batch);
        x.CopyTo(InputBuffer);
        ForwardPass(batch, training: false);
        OutputBuffer.AsSpan(0, output.Length).CopyTo(output);
    }

    /// <summary>
    /// Inference on <paramref name="batch"/> random-free zero images, one pass with parallel kernels as
    /// <see cref="ForwardPass"/> runs it below the replicas' threshold, timed per node: the fastest milliseconds of
    /// each node over <paramref name="trials"/> passes, a fused run (convolution → max-pool → BatchNorm) counted on its first node.
    /// </summary>
    /// <param name="repeats">Runs of each step in a row before the timed one: above 1, every step is timed with its
    /// data and weights already in cache, and the gap to 1 is what handing over from step to step costs.</param>
    /// <param name="batch">Images per pass.</param>
    /// <param name="trials">Passes timed; each node keeps its fastest.</param>
    internal (string Name, double Milliseconds)[] ProfileInference(int batch, int trials, int repeats = 1)
    {
        EnsureCapacity(batch);
        var fastest = new long[_nodes.Count];
        Array.Fill(fastest, long.MaxValue);
        var step = new StepContext(batch, training: false);
        for (int t = 0; t < trials; t++)
        {
            for (int j = 0; j < _nodes.Count; j++)
            {
                for (int r = 1; r < repeats; r++) Plan.RunStep(j, step);
                long start = Stopwatch.GetTimestamp();
                int at = j;
                j = Plan.RunStep(j, step);
                fastest[at] = Math.Min(fastest[at], Stopwatch.GetTimestamp() - start);
            }
        }
        return _nodes.Select((n, j) => (n.Layer.Name ?? n.Layer.NameStem, fastest[j] == long.MaxValue ? 0 : fastest[j] * 1000.0 / Stopwatch.Frequency)).ToArray();
    }

    /// <summary>Checks a caller's batch and copies it into the input and label buffers; returns its size.</summary>
    private int LoadBatch(ReadOnlySpan<float> x, ReadOnlySpan<int> y)
    {
        RequireCompiled();
        _mixedCount = 0;
        int batch = y.Length;
        if (batch == 0) throw new ArgumentException("y must hold at least one label", nameof(y));
        long inSize = InputShape.Size;
        if (x.Length != batch * inSize)
            throw new ArgumentException($"x must hold {batch} samples of {InputShape} ({batch * inSize} floats) for {batch} labels; got {x.Length}", nameof(x));
        foreach (int label in y)
            if ((uint)label >= (uint)Classes)
                throw new ArgumentOutOfRangeException(nameof(y), $"labels must be in [0, {Classes}); got {label}");
        EnsureCapacity(batch);
        // A process that shares the step with others holds only its shards' samples.
        var (first, end) = LocalSamples(batch);
        x.Slice((int)(first * inSize), (int)((end - first) * inSize)).CopyTo(InputBuffer);
        y[first..end].CopyTo(_batchLabels);
        return batch;
    }
}
