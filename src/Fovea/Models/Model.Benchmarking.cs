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
    /// <see cref="TrainOnBatch"/> with a clock around every part of the step, added into <paramref name="profile"/>.
    /// Mirrors <see cref="TrainStep"/> part for part; the clock reads cost well under a microsecond each.
    /// </summary>
    internal double TrainOnBatch(ReadOnlySpan<float> x, ReadOnlySpan<int> y, StepProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Layers != _nodes.Count)
            throw new ArgumentException($"profile must be for {_nodes.Count} layers; got {profile.Layers}", nameof(profile));
        int batch = LoadBatch(x, y), part = 0;
        long t = Stopwatch.GetTimestamp(), start = t;
        Array.Clear(_gradients);
        profile.Add(part++, Lap(ref t));
        for (int i = 0; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            node.Layer.Forward(_values[node.Output], _nodeInputs[i], batch, training: true);
            profile.Add(part++, Lap(ref t));
        }
        double loss = LossAndGradient(batch, withGradient: true);
        CountCorrect(batch);
        profile.Add(part++, Lap(ref t));
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            BackwardNode(i, batch);
            profile.Add(part++, Lap(ref t));
        }
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        profile.Add(part, Lap(ref t));
        profile.EndStep(t - start, batch);
        return loss / batch;

        static long Lap(ref long since)
        {
            long now = Stopwatch.GetTimestamp(), lap = now - since;
            since = now;
            return lap;
        }
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
    internal (string Name, double Milliseconds)[] ProfileInference(int batch, int trials, int repeats = 1)
    {
        EnsureCapacity(batch);
        var fastest = new long[_nodes.Count];
        Array.Fill(fastest, long.MaxValue);
        foreach (var node in _nodes)
            if (node.Layer is Conv2D conv) conv.InferenceBatch = batch;
        for (int t = 0; t < trials; t++)
        {
            for (int j = 0; j < _nodes.Count; j++)
            {
                for (int r = 1; r < repeats; r++) InferenceStep(j, batch);
                long start = Stopwatch.GetTimestamp();
                int at = j;
                j = InferenceStep(j, batch);
                fastest[at] = Math.Min(fastest[at], Stopwatch.GetTimestamp() - start);
            }
        }
        return _nodes.Select((n, j) => (n.Layer.Name ?? n.Layer.NameStem, fastest[j] == long.MaxValue ? 0 : fastest[j] * 1000.0 / Stopwatch.Frequency)).ToArray();
    }

    /// <summary>Checks a caller's batch and copies it into the input and label buffers; returns its size.</summary>
    private int LoadBatch(ReadOnlySpan<float> x, ReadOnlySpan<int> y)
    {
        RequireCompiled();
        int batch = y.Length;
        if (batch == 0) throw new ArgumentException("y must hold at least one label", nameof(y));
        long inSize = InputShape.Size;
        if (x.Length != batch * inSize)
            throw new ArgumentException($"x must hold {batch} samples of {InputShape} ({batch * inSize} floats) for {batch} labels; got {x.Length}", nameof(x));
        foreach (int label in y)
            if ((uint)label >= (uint)Classes)
                throw new ArgumentOutOfRangeException(nameof(y), $"labels must be in [0, {Classes}); got {label}");
        EnsureCapacity(batch);
        x.CopyTo(InputBuffer);
        y.CopyTo(_batchLabels);
        return batch;
    }
}

/// <summary>
/// Where a training step's time goes: per part, the sum and the minimum over <see cref="Steps"/> steps, in
/// <see cref="Stopwatch"/> ticks. On a busy machine the minimum is the better estimate of a part's own cost
/// (a preempted step only ever adds time); the mean says what a step really took.
/// Parts in step order: zero_grad, each layer's forward, loss, each layer's backward (last layer first), optimizer.
/// </summary>
internal sealed class StepProfile
{
    private readonly long[] _sum, _min;
    private long _stepMin = long.MaxValue;

    public StepProfile(IReadOnlyList<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(layerNames);
        Layers = layerNames.Count;
        Parts = ["zero_grad", .. layerNames.Select(n => $"{n}.forward"), "loss", .. layerNames.Reverse().Select(n => $"{n}.backward"), "optimizer"];
        _sum = new long[Parts.Count];
        _min = new long[Parts.Count];
        Array.Fill(_min, long.MaxValue);
    }

    public int Layers { get; }
    public IReadOnlyList<string> Parts { get; }
    public int Steps { get; private set; }
    public long Images { get; private set; }
    public long TotalTicks { get; private set; }

    public void Add(int part, long ticks)
    {
        _sum[part] += ticks;
        _min[part] = Math.Min(_min[part], ticks);
    }

    public void EndStep(long ticks, int batch)
    {
        TotalTicks += ticks;
        _stepMin = Math.Min(_stepMin, ticks);
        Steps++;
        Images += batch;
    }

    /// <summary>Mean milliseconds of a part per step.</summary>
    public double MeanMilliseconds(int part) => Steps == 0 ? 0 : Milliseconds(_sum[part]) / Steps;

    /// <summary>Fastest milliseconds of a part over the steps.</summary>
    public double MinMilliseconds(int part) => Steps == 0 ? 0 : Milliseconds(_min[part]);

    public double MeanStepMilliseconds => Steps == 0 ? 0 : Milliseconds(TotalTicks) / Steps;
    public double MinStepMilliseconds => Steps == 0 ? 0 : Milliseconds(_stepMin);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
