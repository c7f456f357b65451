using System.Diagnostics;

namespace Fovea.Models;

/// <summary>
/// Where a training step's time goes, as an <see cref="IStepObserver"/> of the real step: per part, the sum and the
/// minimum over <see cref="Steps"/> steps, in <see cref="Stopwatch"/> ticks. On a busy machine the minimum is the
/// better estimate of a part's own cost (a preempted step only ever adds time); the mean says what a step really took.
/// Parts in step order: zero_grad, each layer's forward, loss, each layer's backward (last layer first),
/// gradient_sum (a step in slices: summing the slices' gradients, after waiting for them), optimizer. Each part runs
/// from the end of the one before; a part a step does not have is not <see cref="Observed"/>.
/// </summary>
internal sealed class StepProfile : IStepObserver
{
    private readonly long[] _sum, _min;
    private readonly int[] _count;
    private long _stepMin = long.MaxValue, _stepStart, _lap;
    private int _stepLayerImages;

    public StepProfile(IReadOnlyList<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(layerNames);
        Layers = layerNames.Count;
        Parts = ["zero_grad", .. layerNames.Select(n => $"{n}.forward"), "loss", .. layerNames.Reverse().Select(n => $"{n}.backward"),
            "gradient_sum", "optimizer"];
        _sum = new long[Parts.Count];
        _min = new long[Parts.Count];
        _count = new int[Parts.Count];
        Array.Fill(_min, long.MaxValue);
    }

    public int Layers { get; }
    public IReadOnlyList<string> Parts { get; }
    public int Steps { get; private set; }
    public long Images { get; private set; }
    public long TotalTicks { get; private set; }

    /// <summary>Images the layers' forward and backward parts covered, over all steps: the batch, or a step in
    /// slices' first slice (computed on one thread while the others ran theirs).</summary>
    public long LayerImages { get; private set; }

    /// <summary>Slices of the last step (1: a whole-batch step).</summary>
    public int Slices { get; private set; } = 1;

    public void StepStarted()
    {
        _stepLayerImages = 0;
        Slices = 1;
        _stepStart = _lap = Stopwatch.GetTimestamp();
    }

    public void Sliced(int slices, int firstSliceImages) => (Slices, _stepLayerImages) = (slices, firstSliceImages);

    public void PartEnded(StepPart part, int node = -1)
    {
        long now = Stopwatch.GetTimestamp(), ticks = now - _lap;
        _lap = now;
        int index = part switch
        {
            StepPart.ZeroGradients => 0,
            StepPart.Forward => 1 + node,
            StepPart.Loss => 1 + Layers,
            StepPart.Backward => 2 + Layers + (Layers - 1 - node),
            StepPart.GradientSum => 2 + 2 * Layers,
            _ => 3 + 2 * Layers,
        };
        _sum[index] += ticks;
        _min[index] = Math.Min(_min[index], ticks);
        _count[index]++;
    }

    public void StepEnded(int batch)
    {
        long ticks = Stopwatch.GetTimestamp() - _stepStart;
        TotalTicks += ticks;
        _stepMin = Math.Min(_stepMin, ticks);
        Steps++;
        Images += batch;
        LayerImages += _stepLayerImages > 0 ? _stepLayerImages : batch;
    }

    /// <summary>Whether any step had this part.</summary>
    public bool Observed(int part) => _count[part] > 0;

    /// <summary>Mean milliseconds of a part per step.</summary>
    public double MeanMilliseconds(int part) => Steps == 0 ? 0 : Milliseconds(_sum[part]) / Steps;

    /// <summary>Fastest milliseconds of a part over the steps.</summary>
    public double MinMilliseconds(int part) => _count[part] == 0 ? 0 : Milliseconds(_min[part]);

    public double MeanStepMilliseconds => Steps == 0 ? 0 : Milliseconds(TotalTicks) / Steps;
    public double MinStepMilliseconds => Steps == 0 ? 0 : Milliseconds(_stepMin);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
