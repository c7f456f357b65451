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

    /// <summary>For each lifetime, the index of the array it gets, and the size of each array.</summary>
    public static (int[] Assignment, long[] Sizes) Assign(IReadOnlyList<Lifetime> lifetimes)
    {
        var order = Enumerable.Range(0, lifetimes.Count).OrderBy(i => lifetimes[i].Start).ThenByDescending(i => lifetimes[i].Size).ToArray();
        var sizes = new List<long>();
        var freeAfter = new List<int>();
        var assignment = new int[lifetimes.Count];
        foreach (int i in order)
        {
            var l = lifetimes[i];
            // Best fit among the free arrays: the smallest that is large enough, else the largest (which then grows).
            int best = -1;
            for (int b = 0; b < sizes.Count; b++)
            {
                if (freeAfter[b] >= l.Start) continue;
                if (best < 0) { best = b; continue; }
                bool fits = sizes[b] >= l.Size, bestFits = sizes[best] >= l.Size;
                if (fits && (!bestFits || sizes[b] < sizes[best])) best = b;
                else if (!fits && !bestFits && sizes[b] > sizes[best]) best = b;
            }
            if (best < 0)
            {
                best = sizes.Count;
                sizes.Add(0);
                freeAfter.Add(-1);
            }
            sizes[best] = Math.Max(sizes[best], l.Size);
            freeAfter[best] = l.End;
            assignment[i] = best;
        }
        return (assignment, sizes.ToArray());
    }
}
