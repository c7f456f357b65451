using Fovea.Layers;
using Fovea.Optimizers.Schedules;

namespace Fovea.Optimizers;

/// <summary>
/// Updates the model's flat weight block from its flat gradient block. Weights fall into parameter groups
/// (<see cref="Groups"/>, PyTorch's param groups), each with its own learning-rate scale and weight decay; each group
/// is a few contiguous spans of the block, updated by one vector loop. The learning rate is a constant or a
/// <see cref="LearningRateSchedule"/> read at the current step.
/// </summary>
public abstract class Optimizer
{
    private readonly LearningRateSchedule? _schedule;
    private float _learningRate;
    private UpdateSpan[] _spans = [];

    /// <summary>An optimiser with a fixed positive <paramref name="learningRate"/> and a default <paramref name="weightDecay"/>.</summary>
    protected Optimizer(float learningRate, float weightDecay)
    {
        // Not through the virtual setter: a wrapper (Lookahead) forwards it to an inner optimiser not yet assigned.
        _learningRate = learningRate > 0 && float.IsFinite(learningRate) ? learningRate
            : throw new ArgumentOutOfRangeException(nameof(learningRate), $"learning rate must be positive; got {learningRate}");
        WeightDecay = CheckDecay(weightDecay, nameof(weightDecay));
    }

    /// <summary>An optimiser whose learning rate follows <paramref name="schedule"/>, with a default <paramref name="weightDecay"/>.</summary>
    protected Optimizer(LearningRateSchedule schedule, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
        _learningRate = (float)schedule.At(0);
        WeightDecay = CheckDecay(weightDecay, nameof(weightDecay));
    }

    /// <summary>Keras's name, e.g. <c>adam</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The base learning rate; with a schedule, the schedule's value at the current step (read-only then).</summary>
    public virtual float LearningRate
    {
        get => _rateOverride ?? (_schedule is null ? _learningRate : (float)_schedule.At(Iterations));
        set
        {
            if (_schedule is not null) throw new InvalidOperationException("the learning rate follows a schedule");
            _learningRate = value > 0 && float.IsFinite(value) ? value
                : throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be positive; got {value}");
        }
    }

    private float? _rateOverride;

    /// <summary>
    /// Sets a rate that every step uses instead of the fixed rate or the schedule's, or clears it with null: the
    /// learning-rate finder sweeps the compiled optimiser's rate this way and leaves its configuration untouched.
    /// </summary>
    internal virtual void OverrideRate(float? rate) => _rateOverride = rate;

    /// <summary>The schedule the learning rate follows, or null for a fixed rate.</summary>
    public LearningRateSchedule? Schedule => _schedule;

    /// <summary>Weight decay for weights outside any group (what it means is the optimiser's: coupled for SGD, decoupled for AdamW).</summary>
    public float WeightDecay { get; }

    /// <summary>Groups with their own settings; a weight belongs to the first group whose selector accepts it, else to the defaults.</summary>
    public IList<ParameterGroup> Groups { get; init; } = [];

    /// <summary>Number of updates applied so far (Keras's <c>iterations</c>).</summary>
    public long Iterations { get; protected set; }

    private static float CheckDecay(float value, string name) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, $"weight decay must be non-negative; got {value}");

    /// <summary>
    /// Lays the groups over the trainable weights (a prefix of the model's block of <paramref name="blockLength"/>
    /// weights) and sizes the state; called by <c>Compile</c>.
    /// </summary>
    internal virtual void Bind(IReadOnlyList<Parameter> trainable, int blockLength)
    {
        LaySpans(trainable);
        Initialize(trainable.Sum(p => p.Length));
    }

    /// <summary>
    /// Lays the groups over the weights of <paramref name="trainable"/> whose layer is not frozen, keeping the state:
    /// called again when layers are frozen or unfrozen. A frozen weight keeps its slots in the state (the layout of
    /// checkpoints does not change) but no span covers it, so neither the update, its moments nor weight decay move it.
    /// </summary>
    internal virtual void LaySpans(IReadOnlyList<Parameter> trainable)
    {
        var spans = new List<UpdateSpan>();
        foreach (var p in trainable)
        {
            if (!p.Layer.Trainable) continue;
            var group = Groups.FirstOrDefault(g => g.Selector(p));
            var span = new UpdateSpan(p.Offset, p.Length, group?.LearningRateScale ?? 1f, group?.WeightDecay ?? WeightDecay, group?.StopAfterStep);
            // Neighbours with the same settings run as one loop: a model with one group updates in one sweep.
            if (spans.Count > 0 && spans[^1] is var last && last.Offset + last.Length == span.Offset && last.SameSettings(span))
                spans[^1] = last with { Length = last.Length + span.Length };
            else
                spans.Add(span);
        }
        _spans = spans.ToArray();
        _bound = true;
    }

    private bool _bound;

    /// <summary>Sizes the state for <paramref name="parameterCount"/> trainable weights; called by <see cref="Bind"/>.</summary>
    public abstract void Initialize(int parameterCount);

    /// <summary>weights ← update(weights, gradients). <paramref name="weights"/> is the whole block; the trainable ones come first.</summary>
    public virtual void Step(Span<float> weights, ReadOnlySpan<float> gradients)
    {
        if (!_bound && gradients.Length > 0) _spans = [new UpdateSpan(0, gradients.Length, 1f, WeightDecay, null)];
        float lr = LearningRate;
        Iterations++;
        BeginStep();
        foreach (var s in _spans)
        {
            if (s.StopAfterStep is { } stop && Iterations > stop) continue;
            Update(weights.Slice(s.Offset, s.Length), gradients.Slice(s.Offset, s.Length), s.Offset, lr * s.LearningRateScale, s.WeightDecay);
        }
    }

    /// <summary>
    /// Whether no later step will update <paramref name="p"/>: its group stops after a step this optimiser has
    /// reached. Its gradient is then never read, so the model stops computing it (and whatever only it needed).
    /// </summary>
    internal virtual bool UpdatesEnded(Parameter p) =>
        Groups.FirstOrDefault(g => g.Selector(p)) is { StopAfterStep: { } stop } && Iterations >= stop;

    /// <summary>How many groups have stopped (see <see cref="UpdatesEnded"/>): a count that moves only when some
    /// weights stop, read before every step without allocating.</summary>
    internal virtual int GroupsEnded
    {
        get
        {
            int ended = 0;
            for (int i = 0; i < Groups.Count; i++)
                if (Groups[i].StopAfterStep is { } stop && Iterations >= stop) ended++;
            return ended;
        }
    }

    /// <summary>Per-step preparation (bias corrections) after <see cref="Iterations"/> has counted this step.</summary>
    protected virtual void BeginStep() { }

    /// <summary>Updates one contiguous span; <paramref name="offset"/> locates it in the state arrays.</summary>
    protected abstract void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay);

    /// <summary>Called once when Fit completes its last epoch, before the last validation (Lookahead takes its slow weights here).</summary>
    internal virtual void EndTraining(Span<float> weights) { }

    /// <summary>The state a checkpoint needs to continue bit for bit: named slot arrays and the iteration count.</summary>
    public abstract IReadOnlyDictionary<string, float[]> GetSlots();

    /// <summary>Restores the state <see cref="GetSlots"/> returned, for a checkpoint's resumption: the slots are copied into this
    /// optimiser's own arrays, whose names and sizes they must match.</summary>
    public virtual void Restore(long iterations, IReadOnlyDictionary<string, float[]> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), $"iterations must be non-negative; got {iterations}");
        foreach (var (name, own) in GetSlots())
        {
            if (!slots.TryGetValue(name, out var saved)) throw new ArgumentException($"optimizer slot '{name}' is missing", nameof(slots));
            if (saved.Length != own.Length) throw new ArgumentException($"optimizer slot '{name}' must have {own.Length} values; got {saved.Length}", nameof(slots));
            saved.CopyTo(own, 0);
        }
        Iterations = iterations;
    }

    private readonly record struct UpdateSpan(int Offset, int Length, float LearningRateScale, float WeightDecay, long? StopAfterStep)
    {
        public bool SameSettings(UpdateSpan o) => LearningRateScale == o.LearningRateScale && WeightDecay == o.WeightDecay && StopAfterStep == o.StopAfterStep;
    }
}
