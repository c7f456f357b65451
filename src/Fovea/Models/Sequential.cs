using System.Diagnostics;
using System.Globalization;
using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Models;

/// <summary>
/// A linear stack of layers, Keras's <c>Sequential</c>: build, <see cref="Summary"/>, <see cref="Compile"/>,
/// <c>Fit</c>,
/// <see cref="Evaluate(ImageSet, int[], int)"/> and <see cref="Predict(ImageSet, int)"/>.
/// All weights live in one flat block and all gradients in another; activations and their gradients in buffers
/// sized once per batch size, so a training step allocates nothing. Like a Keras model, an instance is not
/// thread-safe: its buffers are shared by Fit, Evaluate and Predict, so give each thread its own model (Load it again).
/// Each Fit call numbers its epochs from where <c>resumeFrom</c> says (1 by default), and the shuffles follow the
/// epoch numbers: to continue training, pass the previous <see cref="State"/> as <c>resumeFrom</c> with a larger epoch count.
/// </summary>
public sealed partial class Sequential
{
    private readonly List<Layer> _layers = [];
    private float[] _weights = [];
    private float[] _gradients = [];
    private float[][] _activations = [];
    private float[][] _activationGrads = [];
    private int[] _batchLabels = [];
    private int[] _batchIndices = [];
    private int _capacity;
    private bool _fusedSoftmax;

    public Sequential(params Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers) Add(layer);
    }

    public Sequential(IEnumerable<Layer> layers) : this(layers.ToArray()) { }

    /// <summary>Model name shown by <see cref="Summary"/>.</summary>
    public string Name { get; init; } = "sequential";

    /// <summary>Seed of the weight initialisation and of the per-epoch shuffles. Same seed and thread count: same weights, bit for bit.</summary>
    public long Seed { get; set; }

    public IReadOnlyList<Layer> Layers => _layers;
    public bool IsBuilt { get; private set; }
    public Shape InputShape { get; private set; }
    public Shape OutputShape => _layers[^1].OutputShape;
    public Optimizer? Optimizer { get; private set; }
    public Loss? Loss { get; private set; }

    /// <summary>Set by a callback to end <c>Fit</c> after the current step (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Total number of weights.</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>All weights in one block, layer by layer in the order of <see cref="Layers"/> and their parameters.</summary>
    public Span<float> Weights => _weights;
    internal float[] WeightBlock => _weights;
    internal float[] GradientBlock => _gradients;

    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (IsBuilt) throw new InvalidOperationException("cannot add layers to a model that is already built");
        if (_layers.Contains(layer)) throw new ArgumentException($"layer '{layer}' is already in this model", nameof(layer));
        if (layer.IsBuilt) throw new ArgumentException($"layer '{layer}' is already built in another model", nameof(layer));
        _layers.Add(layer);
    }

    /// <summary>
    /// Creates all weights for a per-sample input shape, by default the <c>inputShape</c> given to the first layer.
    /// Called for you by the first <see cref="Summary"/>, <see cref="Compile"/> or <c>Fit</c>.
    /// </summary>
    public void Build(Shape? inputShape = null)
    {
        if (IsBuilt) return;
        if (_layers.Count == 0) throw new InvalidOperationException("the model has no layers");
        var shape = inputShape ?? _layers[0].DeclaredInputShape
            ?? throw new InvalidOperationException("the model's input shape is unknown: give inputShape to the first layer, or call Build(inputShape)");
        InputShape = shape;
        AssignNames();
        var rng = Rng.For(Seed, "init");
        foreach (var layer in _layers)
        {
            layer.Build(shape, rng);
            shape = layer.OutputShape;
        }
        var parameters = _layers.SelectMany(l => l.Parameters).ToList();
        int total = checked((int)parameters.Sum(p => (long)p.Length));
        _weights = new float[total];
        _gradients = new float[total];
        int offset = 0;
        foreach (var p in parameters)
        {
            p.Rebind(_weights, _gradients, offset);
            offset += p.Length;
        }
        IsBuilt = true;
    }

    /// <summary>Names the unnamed layers as Build does (idempotent): a model file's weights are checked by name before building.</summary>
    internal void AssignNames()
    {
        var used = new HashSet<string>(_layers.Where(l => l.Name is not null).Select(l => l.Name!));
        if (used.Count != _layers.Count(l => l.Name is not null))
            throw new ArgumentException("layer names must be unique within a model");
        var counters = new Dictionary<string, int>();
        foreach (var layer in _layers.Where(l => l.Name is null))
        {
            // Keras numbers layers of a kind from 0: conv2d, conv2d_1, conv2d_2 …
            string name;
            do
            {
                int n = counters.GetValueOrDefault(layer.NameStem);
                counters[layer.NameStem] = n + 1;
                name = n == 0 ? layer.NameStem : $"{layer.NameStem}_{n}";
            } while (!used.Add(name));
            layer.Name = name;
        }
    }

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
        Optimizer = optimizer;
        Loss = loss;
        optimizer.Initialize(_weights.Length);
        // A final softmax followed by cross-entropy on probabilities is fused into one stable step on the logits.
        var last = _layers[^1];
        _fusedSoftmax = loss is SparseCategoricalCrossentropy { FromLogits: false }
            && (last is Dense { Activation: Activation.Softmax } || last is Layers.Softmax);
        last.SoftmaxFusedWithLoss = _fusedSoftmax;
    }

    /// <summary>Sizes every buffer for batches of up to <paramref name="batchSize"/> samples; reused until a larger batch comes.</summary>
    private void EnsureCapacity(int batchSize)
    {
        Build();
        if (batchSize <= _capacity) return;
        // Kernels index buffers with int: refuse a batch whose largest buffer would not fit, by name, before allocating.
        long largest = _layers.Max(l => Math.Max(l.OutputShape.Size, l.ScratchPerSample(l.InputShape)));
        largest = Math.Max(largest, InputShape.Size);
        int maxBatch = (int)Math.Min(int.MaxValue, Array.MaxLength / largest);
        if (batchSize > maxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at most {maxBatch} for this model (its largest per-batch buffer holds {largest:N0} values per sample); got {batchSize}");
        _capacity = batchSize;
        _activations = new float[_layers.Count + 1][];
        _activationGrads = new float[_layers.Count + 1][];
        _activations[0] = new float[batchSize * InputShape.Size];
        for (int i = 0; i < _layers.Count; i++)
        {
            long size = batchSize * _layers[i].OutputShape.Size;
            _activations[i + 1] = new float[size];
            _activationGrads[i + 1] = new float[size];
            _layers[i].Plan(batchSize);
        }
        _batchLabels = new int[batchSize];
        _batchIndices = new int[batchSize];
    }

    private int Classes => _layers[^1].OutputShape[^1];

    private void ForwardPass(int batch, bool training)
    {
        for (int i = 0; i < _layers.Count; i++)
            _layers[i].Forward(_activations[i + 1], _activations[i], batch, training);
    }

    /// <summary>Loss summed over the batch and, when training, dL/d(output) of the mean loss into the last gradient buffer.</summary>
    private double LossAndGradient(int batch, bool withGradient)
    {
        var labels = _batchLabels.AsSpan(0, batch);
        var output = _activations[^1].AsSpan(0, batch * Classes);
        var grad = withGradient ? _activationGrads[^1].AsSpan(0, batch * Classes) : Span<float>.Empty;
        var loss = (SparseCategoricalCrossentropy)Loss!;
        if (_fusedSoftmax)
        {
            var logits = _layers[^1] switch
            {
                Dense d => d.Logits(batch),
                _ => _activations[^2].AsSpan(0, batch * Classes),
            };
            return SparseCategoricalCrossentropy.FromLogitsAndProbabilities(grad, logits, output, labels, Classes, batch);
        }
        if (loss.FromLogits)
        {
            // The gradient buffer doubles as scratch for the probabilities: dL/dz = p − onehot overwrites them in place.
            var probs = withGradient ? grad : new float[batch * Classes];
            Kernels.ActivationKernels.Softmax(probs, output, batch, Classes);
            return SparseCategoricalCrossentropy.FromLogitsAndProbabilities(grad, output, probs, labels, Classes, batch);
        }
        return SparseCategoricalCrossentropy.FromProbabilities(grad, output, labels, Classes, batch);
    }

    private int CountCorrect(int batch)
    {
        int classes = Classes, correct = 0;
        var output = _activations[^1];
        for (int i = 0; i < batch; i++)
        {
            int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output.AsSpan(i * classes, classes));
            if (best == _batchLabels[i]) correct++;
        }
        return correct;
    }

    /// <summary>One optimisation step on the gathered batch: zero gradients, forward, loss, backward, update.</summary>
    private (double LossSum, int Correct) TrainStep(int batch)
    {
        Array.Clear(_gradients);
        ForwardPass(batch, training: true);
        double loss = LossAndGradient(batch, withGradient: true);
        int correct = CountCorrect(batch);
        for (int i = _layers.Count - 1; i >= 0; i--)
            _layers[i].Backward(i == 0 ? null : _activationGrads[i], _activationGrads[i + 1], _activations[i], _activations[i + 1], batch);
        Optimizer!.Step(_weights, _gradients);
        return (loss, correct);
    }

    private void CheckData(DataSource x, int[] y, string argument)
    {
        ArgumentNullException.ThrowIfNull(y);
        Build();
        if (x.SampleShape != InputShape)
            throw new ArgumentException($"{argument} samples must have the model's input shape {InputShape}; got {x.SampleShape}", argument);
        if (x.Count != y.Length)
            throw new ArgumentException($"{argument} has {x.Count} samples but {y.Length} labels", argument);
        foreach (int label in y)
            if ((uint)label >= (uint)Classes)
                throw new ArgumentOutOfRangeException(argument, $"labels must be in [0, {Classes}); got {label}");
    }

    private void RequireCompiled()
    {
        if (Optimizer is null || Loss is null) throw new InvalidOperationException("the model must be compiled before Fit or Evaluate: call Compile(optimizer, loss)");
    }

    public History Fit(ImageSet x, int[] y, int batchSize = 32, int epochs = 1, (ImageSet X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom);

    public History Fit(Tensor x, int[] y, int batchSize = 32, int epochs = 1, (Tensor X, int[] Y)? validationData = null,
        bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null) =>
        Fit(DataSource.From(x), y, batchSize, epochs, validationData is { } v ? (DataSource.From(v.X), v.Y) : null, shuffle, verbose, callbacks, resumeFrom);

    /// <summary>Where the current (or last) <c>Fit</c> stands; what a checkpoint saves.</summary>
    public TrainingState State => new(_completedEpochs, _stepInEpoch, _lossSum, _correct, _seen, _history);

    private int _completedEpochs, _stepInEpoch;
    private double _lossSum;
    private long _correct, _seen;
    private History _history = new();

    /// <summary>
    /// Trains up to <paramref name="epochs"/> in total, continuing from <paramref name="resumeFrom"/> if given (even
    /// mid-epoch). Each epoch's shuffle is drawn from (<see cref="Seed"/>, epoch) alone, so a resumed run matches an
    /// uninterrupted one bit for bit, given the same thread count.
    /// </summary>
    private History Fit(DataSource x, int[] y, int batchSize, int epochs, (DataSource X, int[] Y)? validation,
        bool shuffle, int verbose, IEnumerable<Callback>? callbacks, TrainingState? resumeFrom)
    {
        RequireCompiled();
        CheckData(x, y, "x");
        if (validation is { } val) CheckData(val.X, val.Y, "validationData");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"epochs must be non-negative; got {epochs}");
        if (x.Count == 0) throw new ArgumentException("x has no samples", nameof(x));
        int n = x.Count;
        int steps = (n + batchSize - 1) / batchSize;
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
                x.Gather(_activations[0], idx);
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
            EvaluationResult? v = validation is { } vd ? Evaluate(vd.X, vd.Y, batchSize) : null;
            var log = new EpochLog(epoch, _lossSum / _seen, (double)_correct / _seen, v?.Loss, v?.Accuracy, clock.Elapsed.TotalSeconds);
            _history.Add(log);
            (_completedEpochs, _stepInEpoch) = (epoch, 0);
            foreach (var c in all) c.OnEpochEnd(log);
        }
        foreach (var c in all) c.OnTrainEnd(_history);
        return _history;
    }

    public EvaluationResult Evaluate(ImageSet x, int[] y, int batchSize = 32) => Evaluate(DataSource.From(x), y, batchSize);
    public EvaluationResult Evaluate(Tensor x, int[] y, int batchSize = 32) => Evaluate(DataSource.From(x), y, batchSize);

    private EvaluationResult Evaluate(DataSource x, int[] y, int batchSize)
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
            x.Gather(_activations[0], _batchIndices.AsSpan(0, batch));
            y.AsSpan(start, batch).CopyTo(_batchLabels);
            ForwardPass(batch, training: false);
            lossSum += LossAndGradient(batch, withGradient: false);
            correct += CountCorrect(batch);
        }
        return new EvaluationResult(lossSum / x.Count, (double)correct / x.Count);
    }

    /// <summary>The model's output for every sample: class probabilities, shape (N, classes).</summary>
    public Tensor Predict(ImageSet x, int batchSize = 32) => Predict(DataSource.From(x), batchSize);
    public Tensor Predict(Tensor x, int batchSize = 32) => Predict(DataSource.From(x), batchSize);

    private Tensor Predict(DataSource x, int batchSize)
    {
        Build();
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
            x.Gather(_activations[0], _batchIndices.AsSpan(0, batch));
            ForwardPass(batch, training: false);
            _activations[^1].AsSpan(0, batch * outSize).CopyTo(result.Data.AsSpan(start * outSize));
        }
        return result;
    }

    /// <summary>Prints the Keras-style table of layers, output shapes and parameter counts.</summary>
    public void Summary(TextWriter? writer = null)
    {
        Build();
        writer ??= Console.Out;
        var rows = _layers.Select(l => (Name: $"{l.Name} ({l.TypeName})", Shape: l.OutputShape.ToString("None"), Params: l.ParameterCount)).ToList();
        int w1 = Math.Max(29, rows.Max(r => r.Name.Length) + 1);
        int w2 = Math.Max(26, rows.Max(r => r.Shape.Length) + 1);
        int width = w1 + w2 + 10;
        string thin = new('_', width), thick = new('=', width);
        writer.WriteLine($"Model: \"{Name}\"");
        writer.WriteLine(thin);
        writer.WriteLine("Layer (type)".PadRight(w1) + "Output Shape".PadRight(w2) + "Param #");
        writer.WriteLine(thick);
        for (int i = 0; i < rows.Count; i++)
        {
            writer.WriteLine(rows[i].Name.PadRight(w1) + rows[i].Shape.PadRight(w2) + rows[i].Params.ToString("N0", CultureInfo.InvariantCulture));
            writer.WriteLine(i == rows.Count - 1 ? thick : thin);
        }
        long total = ParameterCount;
        writer.WriteLine($"Total params: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        writer.WriteLine($"Trainable params: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        writer.WriteLine("Non-trainable params: 0");
        writer.WriteLine(thin);
    }

    /// <summary>The summary as a string.</summary>
    public string SummaryText()
    {
        var sw = new StringWriter { NewLine = "\n" };
        Summary(sw);
        return sw.ToString();
    }
}
