using Fovea.Data;
using Fovea.Models;

namespace Fovea.Training;

/// <summary>
/// The learning-rate range test (Smith 2017) as fast.ai's <c>lr_find</c> runs it: the compiled model trains for up to
/// <see cref="Steps"/> batches while its optimiser's rate rises exponentially from <see cref="StartLearningRate"/> to
/// <see cref="EndLearningRate"/>; the loss is smoothed exponentially (β = <see cref="Smoothing"/>, with bias
/// correction) and the sweep stops once it exceeds <see cref="DivergenceFactor"/> times its best. The model's own
/// optimiser is used (its rate or schedule overridden for the sweep), so any optimiser works. Afterwards the
/// weights, the optimiser's state and its step count are put back exactly as they were, bit for bit.
/// </summary>
/// <example>
/// <code>
/// model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
/// var sweep = new LearningRateFinder { BatchSize = 64 }.Run(model, xTrain, yTrain);
/// Console.WriteLine(sweep.Suggestion);   // e.g. 0.0012
/// </code>
/// </example>
public sealed class LearningRateFinder
{
    /// <summary>The first step's rate.</summary>
    public double StartLearningRate { get; init; } = 1e-7;

    /// <summary>The last step's rate.</summary>
    public double EndLearningRate { get; init; } = 10;

    /// <summary>Steps of the sweep (batches trained), unless it diverges first.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>β of the exponential moving average of the loss.</summary>
    public double Smoothing { get; init; } = 0.98;

    /// <summary>The sweep stops when the smoothed loss exceeds this multiple of its best.</summary>
    public double DivergenceFactor { get; init; } = 4;

    /// <summary>Sweeps the rate on images <paramref name="x"/> with labels <paramref name="y"/>, shuffled by the model's
    /// seed; the model is left as it was.</summary>
    public LearningRateSweep Run(Model model, ImageSet x, int[] y) => Run(model, DataSource.From(x), y);

    /// <summary>Sweeps the rate on images already in a float tensor; the model is left as it was.</summary>
    public LearningRateSweep Run(Model model, Tensor x, int[] y) => Run(model, DataSource.From(x), y);

    private LearningRateSweep Run(Model model, DataSource x, int[] y)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check();
        model.RequireCompiled();
        model.CheckData(x, y, "x");
        if (x.Count == 0) throw new ArgumentException("x has no samples", nameof(x));
        var optimizer = model.Optimizer!;
        var weights = (float[])model.WeightBlock.Clone();
        var gradients = (float[])model.GradientBlock.Clone();
        long iterations = optimizer.Iterations;
        var slots = optimizer.GetSlots().ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
        try
        {
            return Sweep(model, x, y);
        }
        finally
        {
            optimizer.OverrideRate(null);
            optimizer.Restore(iterations, slots);
            weights.CopyTo(model.WeightBlock, 0);
            gradients.CopyTo(model.GradientBlock, 0);
        }
    }

    private void Check()
    {
        if (!(StartLearningRate > 0 && EndLearningRate > StartLearningRate && double.IsFinite(EndLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(StartLearningRate), $"the rates must satisfy 0 < start < end; got {StartLearningRate} and {EndLearningRate}");
        if (Steps < 2) throw new ArgumentOutOfRangeException(nameof(Steps), $"Steps must be at least 2; got {Steps}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"BatchSize must be positive; got {BatchSize}");
        if (!(Smoothing >= 0 && Smoothing < 1)) throw new ArgumentOutOfRangeException(nameof(Smoothing), $"Smoothing must be in [0, 1); got {Smoothing}");
        if (!(DivergenceFactor > 1)) throw new ArgumentOutOfRangeException(nameof(DivergenceFactor), $"DivergenceFactor must be above 1; got {DivergenceFactor}");
    }

    private LearningRateSweep Sweep(Model model, DataSource x, int[] y)
    {
        int n = x.Count, batch = Math.Min(BatchSize, n), perRound = n / batch;
        model.PrepareBatches(batch, n);
        var order = new int[n];
        var (rates, smoothed, raw) = (new List<double>(), new List<double>(), new List<double>());
        double average = 0, best = double.PositiveInfinity;
        bool diverged = false;
        for (int step = 0; step < Steps; step++)
        {
            int round = step / perRound, within = step % perRound;
            // A new shuffle (from the model's seed) each time the data runs out: deterministic for a seed and thread count.
            if (within == 0)
            {
                for (int i = 0; i < n; i++) order[i] = i;
                Rng.For(model.Seed, "lr-find", round).Shuffle(order);
            }
            double rate = StartLearningRate * Math.Pow(EndLearningRate / StartLearningRate, (double)step / (Steps - 1));
            model.Optimizer!.OverrideRate((float)rate);
            var (lossSum, _) = model.TrainBatch(x, y, order.AsSpan(within * batch, batch), round + 1);
            double loss = lossSum / batch;
            average = Smoothing * average + (1 - Smoothing) * loss;
            double value = average / (1 - Math.Pow(Smoothing, step + 1));
            rates.Add(rate);
            raw.Add(loss);
            smoothed.Add(value);
            if (!double.IsFinite(value) || value > DivergenceFactor * best)
            {
                diverged = true;
                break;
            }
            best = Math.Min(best, value);
        }
        var (suggestion, index) = Valley(rates, smoothed, Steps);
        return new LearningRateSweep(rates, smoothed, raw, suggestion, index, Steepest(rates, smoothed, Steps), diverged);
    }

    /// <summary>
    /// fast.ai's "valley" suggestion: among the points kept (the first tenth of the planned steps and the last five
    /// taken are left out), the longest stretch over which the loss keeps falling (a longest decreasing subsequence);
    /// the suggestion lies a half of the way into it (fast.ai: a third plus a sixth), where the loss still falls
    /// steadily and well before it turns.
    /// </summary>
    public static (double Rate, int Index) Valley(IReadOnlyList<double> rates, IReadOnlyList<double> losses, int plannedSteps)
    {
        var (first, count) = Kept(losses.Count, plannedSteps);
        if (count == 0) return (rates.Count > 0 ? rates[0] : double.NaN, 0);
        // lengths[i]: the longest decreasing run of losses ending at point i.
        var lengths = new int[count];
        int bestEnd = 0, bestStart = 0;
        for (int i = 0; i < count; i++)
        {
            lengths[i] = 1;
            for (int j = 0; j < i; j++)
                if (losses[first + i] < losses[first + j] && lengths[i] < lengths[j] + 1) lengths[i] = lengths[j] + 1;
            if (lengths[i] > lengths[bestEnd])
            {
                bestEnd = i;
                bestStart = i - lengths[i];
            }
        }
        double section = (bestEnd - bestStart) / 3.0;
        int index = first + Math.Clamp(bestStart + (int)section + (int)(section / 2), 0, count - 1);
        return (rates[index], index);
    }

    /// <summary>The rate where the smoothed loss falls fastest against log(rate), among the points <see cref="Valley"/> keeps.</summary>
    public static double Steepest(IReadOnlyList<double> rates, IReadOnlyList<double> losses, int plannedSteps)
    {
        var (first, count) = Kept(losses.Count, plannedSteps);
        if (count < 2) return rates.Count > 0 ? rates[first] : double.NaN;
        int best = first;
        double steepest = double.PositiveInfinity;
        for (int i = first; i < first + count - 1; i++)
        {
            double slope = (losses[i + 1] - losses[i]) / (Math.Log(rates[i + 1]) - Math.Log(rates[i]));
            if (slope < steepest) (steepest, best) = (slope, i);
        }
        return rates[best];
    }

    /// <summary>The points a suggestion is chosen from: fast.ai's slice [planned / 10, −5), or all when that leaves too few.</summary>
    private static (int First, int Count) Kept(int taken, int plannedSteps)
    {
        int first = plannedSteps / 10, end = taken - 5;
        return end - first >= 3 ? (first, end - first) : (0, taken);
    }
}
