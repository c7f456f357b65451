namespace Fovea.Models;

/// <summary>
/// Assigns the activations and gradients of one training step to as few arrays as their lifetimes allow, as a
/// compiler allocates registers. Time runs through the step: node i's forward at i, the loss at N, node i's backward
/// at 2N − i. A value lives from its forward until its last reader (a consumer's forward, or a backward that needs it);
/// a gradient from the first consumer's backward until its producer's backward. Two lifetimes that do not overlap can
/// share one array. At batch 1024 this is what keeps airbench94 under 2 GB: the output of a convolution that only a
/// max-pool reads is gone before the pool's output is.
/// </summary>
internal static class BufferPlan
{
    /// <summary>A request for <see cref="Size"/> floats from <see cref="Start"/> to <see cref="End"/> (inclusive).</summary>
    public readonly record struct Lifetime(long Size, int Start, int End);

    /// <summary>
    /// For each lifetime, the index of the array it gets, and the size of each array. Largest first, as TensorFlow
    /// Lite's planner does: each lifetime goes into the smallest existing array none of whose lifetimes overlaps it
    /// (every existing array is at least as large), else into a new array of its size. A greedy pass in time order
    /// let a small value that lives long settle in a large array that a later large value then could not reuse.
    /// </summary>
    public static (int[] Assignment, long[] Sizes) Assign(IReadOnlyList<Lifetime> lifetimes)
    {
        var order = Enumerable.Range(0, lifetimes.Count).OrderByDescending(i => lifetimes[i].Size).ThenBy(i => lifetimes[i].Start).ThenBy(i => i).ToArray();
        var sizes = new List<long>();
        var held = new List<List<int>>();
        var assignment = new int[lifetimes.Count];
        foreach (int i in order)
        {
            var l = lifetimes[i];
            int best = -1;
            for (int b = 0; b < sizes.Count; b++)
            {
                if (best >= 0 && sizes[b] >= sizes[best]) continue;
                bool free = true;
                foreach (int other in held[b])
                    if (lifetimes[other].Start <= l.End && l.Start <= lifetimes[other].End) { free = false; break; }
                if (free) best = b;
            }
            if (best < 0)
            {
                best = sizes.Count;
                sizes.Add(l.Size);
                held.Add([]);
            }
            held[best].Add(i);
            assignment[i] = best;
        }
        return (assignment, sizes.ToArray());
    }
}
