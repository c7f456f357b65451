namespace Fovea.Optimizers;

/// <summary>Updates the model's flat parameter block from its flat gradient block, one loop over all weights.</summary>
public abstract class Optimizer
{
    /// <summary>Keras's name, e.g. <c>adam</c>.</summary>
    public abstract string Name { get; }

    public abstract float LearningRate { get; set; }

    /// <summary>Number of updates applied so far (Keras's <c>iterations</c>).</summary>
    public long Iterations { get; protected set; }

    /// <summary>Sizes the state for <paramref name="parameterCount"/> weights; called once by <c>Compile</c>.</summary>
    public abstract void Initialize(int parameterCount);

    /// <summary>parameters ← update(parameters, gradients).</summary>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>The state a checkpoint needs to continue bit for bit: named slot arrays and the iteration count.</summary>
    public abstract IReadOnlyDictionary<string, float[]> GetSlots();

    public void Restore(long iterations, IReadOnlyDictionary<string, float[]> slots)
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
}
