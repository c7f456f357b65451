using System.Diagnostics;
using System.Runtime.CompilerServices;
using Fovea.Data;
using Fovea.Models;

namespace Fovea.Training;

/// <summary>
/// Trains and evaluates a compiled <see cref="Models.Model"/>: Keras's <c>fit</c> and <c>evaluate</c> loops, with
/// callbacks, and (<see cref="Run"/>) a run kept in a folder with checkpoints, early stopping with the best model,
/// resume and a finished marker. The model supplies the steps (one batch trained, one evaluated); the trainer owns
/// where the run stands. <c>model.Fit</c> and <c>model.Evaluate</c> (<see cref="ModelTraining"/>) use the model's
/// latest trainer, so that <c>model.State</c> carries from one Fit to the next as in Keras.
/// </summary>
public sealed partial class Trainer
{
    private static readonly ConditionalWeakTable<Model, Trainer> Latest = [];

    private int _completedEpochs, _stepInEpoch;
    private double _lossSum;
    private long _correct, _seen;
    private History _history = new();

    /// <summary>A trainer for <paramref name="model"/>; it becomes the one <c>model.Fit</c> and <c>model.State</c> use.</summary>
    public Trainer(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Latest.AddOrUpdate(model, this);
    }

    /// <summary>The latest trainer made for <paramref name="model"/>, or a new one.</summary>
    public static Trainer Of(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Latest.TryGetValue(model, out var trainer) ? trainer : new Trainer(model);
    }

    /// <summary>The model this trainer trains.</summary>
    public Model Model { get; }

    /// <summary>Where the current (or last) <c>Fit</c> stands; what a checkpoint saves.</summary>
    public TrainingState State => new(_completedEpochs, _stepInEpoch, _lossSum, _correct, _seen, _history);

    /// <summary>Trains the compiled model (Keras's <c>model.fit</c>) for up to <paramref name="epochs"/> in total on images
    /// <paramref name="x"/> and labels <paramref name="y"/>, shuffled each epoch unless <paramref name="shuffle"/> is false.
    /// Continues from <paramref name="resumeFrom"/> if given (even mid-epoch), bit for bit, given the same thread count;
    /// <paramref name="dropRemainder"/> skips each epoch's last partial batch (PyTorch's <c>drop_last</c>);
    /// <paramref name="validationFrequency"/> validates every that many epochs and after the last (Keras's
    /// <c>validation_freq</c>; <see cref="Recipe.LastEpochOnly"/> validates once, at the end).</summary>
    /// <returns>The history of every epoch, earlier ones of a resumed run included.</returns>
    public History Fit(ImageSet x, int[] y, int batchSize = 32, int epochs = 1, (ImageSet X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
        bool dropRemainder = false, int validationFrequency = 1) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom, dropRemainder, validationFrequency);

    /// <summary>Trains the compiled model on images already in a float tensor (Keras's <c>model.fit</c>), as the
    /// <see cref="ImageSet"/> overload does.</summary>
    public History Fit(Tensor x, int[] y, int batchSize = 32, int epochs = 1, (Tensor X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
        bool dropRemainder = false, int validationFrequency = 1) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom, dropRemainder, validationFrequency);

    /// <summary>
    /// Trains up to <paramref name="epochs"/> in total, continuing from <paramref name="resumeFrom"/> if given (even
    /// mid-epoch). Each epoch's shuffle is drawn from (<see cref="Model.Seed"/>, epoch) alone, so a resumed run matches an
    /// uninterrupted one bit for bit, given the same thread count. <paramref name="dropRemainder"/> skips the last
    /// partial batch of each epoch (PyTorch's <c>drop_last</c>), which BatchNorm recipes use. Validation changes
    /// nothing in the model, so <paramref name="validationFrequency"/> leaves the weights as they are.
    /// </summary>
    private History Fit(DataSource x, int[] y, int batchSize, int epochs, (DataSource X, int[] Y)? validation,
        bool shuffle, int verbose, IEnumerable<Callback>? callbacks, TrainingState? resumeFrom, bool dropRemainder, int validationFrequency)
    {
        Model.RequireCompiled();
        Model.CheckData(x, y, "x");
        if (validation is { } val) Model.CheckData(val.X, val.Y, "validationData");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"epochs must be non-negative; got {epochs}");
        if (validationFrequency < 1) throw new ArgumentOutOfRangeException(nameof(validationFrequency), $"validationFrequency must be at least 1; got {validationFrequency}");
        if (x.Count == 0) throw new ArgumentException("x has no samples", nameof(x));
        int n = x.Count;
        if (dropRemainder && n < batchSize)
            throw new ArgumentException($"dropRemainder needs at least one full batch of {batchSize}; x has {n} samples", nameof(x));
        int steps = dropRemainder ? n / batchSize : (n + batchSize - 1) / batchSize;
        var state = resumeFrom ?? TrainingState.Start();
        if (state.CompletedEpochs < 0 || state.CompletedEpochs > epochs || state.StepsIntoEpoch < 0 || state.StepsIntoEpoch >= steps)
            throw new ArgumentOutOfRangeException(nameof(resumeFrom), $"resumeFrom must be within {epochs} epochs of {steps} steps; got epoch {state.CompletedEpochs}, step {state.StepsIntoEpoch}");

        var all = new List<Callback>();
        if (verbose > 0) all.Add(new ProgressLogger());
        all.AddRange(callbacks ?? []);
        (_completedEpochs, _stepInEpoch, _lossSum, _correct, _seen, _history) =
            (state.CompletedEpochs, state.StepsIntoEpoch, state.LossSum, state.Correct, state.Seen, state.History);
        Model.PrepareBatches(batchSize, n);
        var order = new int[n];
        var run = new TrainingRun(Model, epochs, steps, n, batchSize, state.CompletedEpochs) { ValidationFrequency = validation is null ? 0 : validationFrequency };
        Model.StopTraining = false;
        foreach (var c in all) c.OnTrainBegin(run);

        while (_completedEpochs < epochs && !Model.StopTraining)
        {
            int epoch = _completedEpochs + 1;
            if (_stepInEpoch == 0) (_lossSum, _correct, _seen) = (0, 0, 0);
            foreach (var c in all) c.OnEpochBegin(epoch);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) order[i] = i;
            if (shuffle) Rng.For(Model.Seed, "shuffle", epoch).Shuffle(order);
            while (_stepInEpoch < steps && !Model.StopTraining)
            {
                int step = _stepInEpoch + 1;
                int start = (step - 1) * batchSize, batch = Math.Min(batchSize, n - start);
                var (l, c) = Model.TrainBatch(x, y, order.AsSpan(start, batch), epoch);
                // Keras's TerminateOnNaN: the weights are already spoiled, so stop before anyone saves them.
                if (!double.IsFinite(l)) throw new NonFiniteLossException(epoch, step, l);
                _lossSum += l;
                _correct += c;
                _seen += batch;
                _stepInEpoch = step;
                foreach (var cb in all) cb.OnBatchEnd(epoch, step, _lossSum / _seen, (double)_correct / _seen);
            }
            if (_stepInEpoch < steps) break;
            (_completedEpochs, _stepInEpoch) = (epoch, 0);
            // The recipe's last step (e.g. Lookahead's slow weights) happens before the last validation, so that it is what is measured.
            if (epoch == epochs) Model.EndTraining();
            var validating = clock.Elapsed;
            bool validates = epoch % validationFrequency == 0 || epoch == epochs;
            EvaluationResult? v = validation is { } vd && validates ? Evaluate(vd.X, vd.Y, batchSize, TestTimeAugmentation.None) : null;
            var log = new EpochLog(epoch, _lossSum / _seen, (double)_correct / _seen, v?.Loss, v?.Accuracy, clock.Elapsed.TotalSeconds)
            {
                ValidationSeconds = v is null ? 0 : (clock.Elapsed - validating).TotalSeconds,
            };
            _history.Add(log);
            foreach (var c in all) c.OnEpochEnd(log);
        }
        foreach (var c in all) c.OnTrainEnd(_history);
        return _history;
    }

    /// <summary>Loss and accuracy of the compiled model on <paramref name="x"/> and labels <paramref name="y"/>, in batches of
    /// <paramref name="batchSize"/>, optionally with test-time augmentation <paramref name="tta"/> (Keras's <c>model.evaluate</c>).</summary>
    public EvaluationResult Evaluate(ImageSet x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Evaluate(DataSource.From(x), y, batchSize, tta);
    /// <summary>Loss and accuracy of the compiled model on images already in a float tensor (Keras's <c>model.evaluate</c>).</summary>
    public EvaluationResult Evaluate(Tensor x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Evaluate(DataSource.From(x), y, batchSize, tta);

    /// <summary>
    /// <see cref="Evaluate(ImageSet, int[], int, TestTimeAugmentation)"/>, also returning each image's scores, bit for
    /// bit what <c>PredictLogits</c> gives: from its plain view (without test-time augmentation) and as evaluated
    /// (with <paramref name="tta"/>). A run's report and <c>fovea evaluate</c> read them instead of passes of their own.
    /// </summary>
    internal (EvaluationResult Result, Tensor PlainLogits, Tensor Logits) EvaluateKeepingLogits(ImageSet x, int[] y, int batchSize, TestTimeAugmentation tta)
    {
        Model.Build();
        Tensor plain = new(Model.OutputShape.WithBatch(x.Count)), scores = new(Model.OutputShape.WithBatch(x.Count));
        return (Evaluate(DataSource.From(x), y, batchSize, tta, plain, scores), plain, scores);
    }

    /// <summary>The mean loss and the accuracy over all of <paramref name="x"/>, in batches of <paramref name="batchSize"/>;
    /// the plain view's scores into <paramref name="plain"/> and the evaluated ones into <paramref name="scores"/> when given.</summary>
    private EvaluationResult Evaluate(DataSource x, int[] y, int batchSize, TestTimeAugmentation tta, Tensor? plain = null, Tensor? scores = null)
    {
        Model.RequireCompiled();
        Model.CheckData(x, y, "x");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        if (x.Count == 0) throw new ArgumentException("x has no samples", nameof(x));
        int cap = Model.PrepareEvaluation(batchSize, x.Count);
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < x.Count; start += cap)
        {
            int batch = Math.Min(cap, x.Count - start), size = (int)Model.OutputShape.Size;
            var (l, c) = Model.EvaluateBatch(x, y, start, batch, tta, plain is null ? default : plain.Data.AsSpan(start * size, batch * size),
                scores is null ? default : scores.Data.AsSpan(start * size, batch * size));
            lossSum += l;
            correct += c;
        }
        return new EvaluationResult(lossSum / x.Count, (double)correct / x.Count);
    }
}
