using System.Diagnostics;
using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Models;

/// <summary>Compile, Fit, Evaluate and Predict: one training loop for every model.</summary>
public partial class Model
{
    /// <summary>Sets the optimiser, the loss and the metrics (only <c>"accuracy"</c> is supported and always reported).</summary>
    public void Compile(Optimizer optimizer, Loss loss, IEnumerable<string>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        foreach (var metric in metrics ?? [])
            if (metric is not ("accuracy" or "acc" or "sparse_categorical_accuracy"))
                throw new ArgumentException($"metrics supports 'accuracy'; got '{metric}'", nameof(metrics));
        if (loss is not SparseCategoricalCrossentropy)
            throw new ArgumentException($"loss must be SparseCategoricalCrossentropy; got {loss.GetType().Name}", nameof(loss));
        Build();
        if (OutputShape.Rank != 1)
            throw new ArgumentException($"sparse categorical cross-entropy needs an output of shape (classes,); the model's is {OutputShape.ToString("None")}: end it with Flatten and Dense", nameof(loss));
        optimizer.Bind(AllWeights.Where(p => p.Trainable).ToList(), _weights.Length);
        Optimizer = optimizer;
        Loss = loss;
        PlanLossFusion(loss);
    }

    private void CheckData(DataSource x, int[] y, string argument)
    {
        ArgumentNullException.ThrowIfNull(y);
        Build();
        CheckSingleInput();
        if (x.SampleShape != InputShape)
            throw new ArgumentException($"{argument} samples must have the model's input shape {InputShape}; got {x.SampleShape}", argument);
        if (x.Count != y.Length)
            throw new ArgumentException($"{argument} has {x.Count} samples but {y.Length} labels", argument);
        foreach (int label in y)
            if ((uint)label >= (uint)Classes)
                throw new ArgumentOutOfRangeException(argument, $"labels must be in [0, {Classes}); got {label}");
    }

    private void CheckSingleInput()
    {
        if (_inputs.Count != 1) throw new NotSupportedException($"Fit, Evaluate and Predict take models with one input; this one has {_inputs.Count}");
    }

    private void RequireCompiled()
    {
        if (Optimizer is null || Loss is null) throw new InvalidOperationException("the model must be compiled before Fit or Evaluate: call Compile(optimizer, loss)");
    }

    public History Fit(ImageSet x, int[] y, int batchSize = 32, int epochs = 1, (ImageSet X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
        bool dropRemainder = false) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom, dropRemainder);

    public History Fit(Tensor x, int[] y, int batchSize = 32, int epochs = 1, (Tensor X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
        bool dropRemainder = false) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom, dropRemainder);

    /// <summary>Where the current (or last) <c>Fit</c> stands; what a checkpoint saves.</summary>
    public TrainingState State => new(_completedEpochs, _stepInEpoch, _lossSum, _correct, _seen, _history);

    private int _completedEpochs, _stepInEpoch;
    private double _lossSum;
    private long _correct, _seen;
    private History _history = new();

    /// <summary>
    /// Trains up to <paramref name="epochs"/> in total, continuing from <paramref name="resumeFrom"/> if given (even
    /// mid-epoch). Each epoch's shuffle is drawn from (<see cref="Seed"/>, epoch) alone, so a resumed run matches an
    /// uninterrupted one bit for bit, given the same thread count. <paramref name="dropRemainder"/> skips the last
    /// partial batch of each epoch (PyTorch's <c>drop_last</c>), which BatchNorm recipes use.
    /// </summary>
    private History Fit(DataSource x, int[] y, int batchSize, int epochs, (DataSource X, int[] Y)? validation,
        bool shuffle, int verbose, IEnumerable<Callback>? callbacks, TrainingState? resumeFrom, bool dropRemainder)
    {
        RequireCompiled();
        CheckData(x, y, "x");
        if (validation is { } val) CheckData(val.X, val.Y, "validationData");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"epochs must be non-negative; got {epochs}");
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
        EnsureCapacity(Math.Min(batchSize, n));
        var order = new int[n];
        var run = new TrainingRun(this, epochs, steps, n, batchSize, state.CompletedEpochs);
        StopTraining = false;
        foreach (var c in all) c.OnTrainBegin(run);

        while (_completedEpochs < epochs && !StopTraining)
        {
            int epoch = _completedEpochs + 1;
            if (_stepInEpoch == 0) (_lossSum, _correct, _seen) = (0, 0, 0);
            foreach (var c in all) c.OnEpochBegin(epoch);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) order[i] = i;
            if (shuffle) Rng.For(Seed, "shuffle", epoch).Shuffle(order);
            while (_stepInEpoch < steps && !StopTraining)
            {
                int step = _stepInEpoch + 1;
                int start = (step - 1) * batchSize, batch = Math.Min(batchSize, n - start);
                var idx = order.AsSpan(start, batch);
                x.Gather(InputBuffer, idx);
                Augmentation?.Apply(InputBuffer, idx, InputShape, epoch, Seed);
                for (int j = 0; j < batch; j++) _batchLabels[j] = y[idx[j]];
                var (l, c) = TrainStep(batch);
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
            if (epoch == epochs)
            {
                Optimizer!.EndTraining(_weights);
                Parameter.MarkChanged();
            }
            EvaluationResult? v = validation is { } vd ? Evaluate(vd.X, vd.Y, batchSize) : null;
            var log = new EpochLog(epoch, _lossSum / _seen, (double)_correct / _seen, v?.Loss, v?.Accuracy, clock.Elapsed.TotalSeconds);
            _history.Add(log);
            foreach (var c in all) c.OnEpochEnd(log);
        }
        foreach (var c in all) c.OnTrainEnd(_history);
        return _history;
    }

    /// <summary>
    /// Augmentation applied to each gathered training batch before the step (random translations, flips …); drawn
    /// from (seed, epoch, sample), so it is the same for any thread count and on resume. Not used by Evaluate or Predict.
    /// </summary>
    public IBatchAugmentation? Augmentation { get; set; }

    public EvaluationResult Evaluate(ImageSet x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Evaluate(DataSource.From(x), y, batchSize, tta);
    public EvaluationResult Evaluate(Tensor x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
        Evaluate(DataSource.From(x), y, batchSize, tta);

    private EvaluationResult Evaluate(DataSource x, int[] y, int batchSize, TestTimeAugmentation tta = TestTimeAugmentation.None)
    {
        RequireCompiled();
        CheckData(x, y, "x");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        if (x.Count == 0) throw new ArgumentException("x has no samples", nameof(x));
        EnsureCapacity(Math.Min(batchSize, x.Count));
        int cap = Math.Min(batchSize, _capacity);
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < x.Count; start += cap)
        {
            int batch = Math.Min(cap, x.Count - start);
            for (int j = 0; j < batch; j++) _batchIndices[j] = start + j;
            y.AsSpan(start, batch).CopyTo(_batchLabels);
            if (tta == TestTimeAugmentation.None)
            {
                x.Gather(InputBuffer, _batchIndices.AsSpan(0, batch));
                ForwardPass(batch, training: false);
            }
            else
            {
                ForwardWithTta(x, batch, tta);
            }
            lossSum += LossAndGradient(batch, withGradient: false);
            correct += CountCorrect(batch);
        }
        return new EvaluationResult(lossSum / x.Count, (double)correct / x.Count);
    }

    /// <summary>The model's output for every sample: class probabilities, shape (N, classes).</summary>
    public Tensor Predict(ImageSet x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) => Predict(DataSource.From(x), batchSize, tta);
    public Tensor Predict(Tensor x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) => Predict(DataSource.From(x), batchSize, tta);

    private Tensor Predict(DataSource x, int batchSize, TestTimeAugmentation tta)
    {
        Build();
        CheckSingleInput();
        if (x.SampleShape != InputShape)
            throw new ArgumentException($"x samples must have the model's input shape {InputShape}; got {x.SampleShape}", nameof(x));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        var result = new Tensor(OutputShape.WithBatch(x.Count));
        if (x.Count == 0) return result;
        EnsureCapacity(Math.Min(batchSize, x.Count));
        int cap = Math.Min(batchSize, _capacity), outSize = (int)OutputShape.Size;
        for (int start = 0; start < x.Count; start += cap)
        {
            int batch = Math.Min(cap, x.Count - start);
            for (int j = 0; j < batch; j++) _batchIndices[j] = start + j;
            if (tta == TestTimeAugmentation.None)
            {
                x.Gather(InputBuffer, _batchIndices.AsSpan(0, batch));
                ForwardPass(batch, training: false);
            }
            else
            {
                ForwardWithTta(x, batch, tta);
            }
            OutputBuffer.AsSpan(0, batch * outSize).CopyTo(result.Data.AsSpan(start * outSize));
        }
        return result;
    }
}
