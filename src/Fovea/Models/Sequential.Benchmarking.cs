using System.Diagnostics;

namespace Fovea.Models;

/// <summary>
/// Entry points for <c>fovea bench</c>, the benchmarks project and the allocation tests: one training step or one
/// forward pass on a batch the caller already holds as floats, without <c>Fit</c>'s shuffle, gather and callbacks.
/// </summary>
public sealed partial class Sequential
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
        if (profile.Forward.Length != _layers.Count)
            throw new ArgumentException($"profile must have one slot per layer ({_layers.Count}); got {profile.Forward.Length}", nameof(profile));
        int batch = LoadBatch(x, y);
        long t = Stopwatch.GetTimestamp(), start = t;
        Array.Clear(_gradients);
        profile.ZeroGradients += Lap(ref t);
        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].Forward(_activations[i + 1], _activations[i], batch, training: true);
            profile.Forward[i] += Lap(ref t);
        }
        double loss = LossAndGradient(batch, withGradient: true);
        CountCorrect(batch);
        profile.Loss += Lap(ref t);
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            _layers[i].Backward(i == 0 ? null : _activationGrads[i], _activationGrads[i + 1], _activations[i], _activations[i + 1], batch);
            profile.Backward[i] += Lap(ref t);
        }
        Optimizer!.Step(_weights, _gradients);
        profile.Optimizer += Lap(ref t);
        profile.Total += t - start;
        profile.Steps++;
        profile.Images += batch;
        return loss / batch;

        static long Lap(ref long since)
        {
            long now = Stopwatch.GetTimestamp(), lap = now - since;
            since = now;
            return lap;
        }
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
        x.CopyTo(_activations[0]);
        ForwardPass(batch, training: false);
        _activations[^1].AsSpan(0, output.Length).CopyTo(output);
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
        x.CopyTo(_activations[0]);
        y.CopyTo(_batchLabels);
        return batch;
    }
}

/// <summary>Where a training step's time goes, in <see cref="Stopwatch"/> ticks summed over <see cref="Steps"/> steps.</summary>
internal sealed class StepProfile(int layers)
{
    public long[] Forward { get; } = new long[layers];
    public long[] Backward { get; } = new long[layers];
    /// <summary>Loss, its gradient and the accuracy count.</summary>
    public long Loss { get; set; }
    public long ZeroGradients { get; set; }
    public long Optimizer { get; set; }
    public long Total { get; set; }
    public int Steps { get; set; }
    public long Images { get; set; }

    /// <summary>Mean milliseconds per step of a tick count.</summary>
    public double MillisecondsPerStep(long ticks) => Steps == 0 ? 0 : ticks * 1000.0 / Stopwatch.Frequency / Steps;
}
