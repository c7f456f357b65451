namespace Fovea.Models;

/// <summary>
/// Arrays of one plan lent to another that never runs at the same time: the training step's activations and
/// gradients, idle while the model evaluates, become the inference replicas' buffers instead of new ones. Each
/// array is lent once, the smallest that is large enough first; a request none fits is allocated.
/// </summary>
internal sealed class BufferArena
{
    private readonly List<float[]> _free;

    private BufferArena(List<float[]> free) => _free = free;

    /// <summary>
    /// The arrays of <paramref name="buffers"/> (activations, their gradients, the sums' scratch) except
    /// <paramref name="keep"/>: what the lending plan's owner still reads or writes while the borrowers run.
    /// </summary>
    public static BufferArena Of(StepBuffers buffers, IEnumerable<float[]> keep)
    {
        var kept = new HashSet<float[]>(keep, ReferenceEqualityComparer.Instance);
        var free = buffers.Values.Concat(buffers.Grads.OfType<float[]>()).Concat(buffers.SumScratch)
            .Distinct(ReferenceEqualityComparer.Instance).Cast<float[]>()
            .Where(a => !kept.Contains(a))
            .OrderBy(a => a.Length)
            .ToList();
        return new BufferArena(free);
    }

    /// <summary>An array of at least <paramref name="size"/> floats: a lent one, or a new one.</summary>
    public float[] Take(long size)
    {
        int at = _free.FindIndex(a => a.LongLength >= size);
        if (at < 0) return new float[size];
        var array = _free[at];
        _free.RemoveAt(at);
        return array;
    }
}
