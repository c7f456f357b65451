using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// The arithmetic of a step's arrays, without allocating them: which values and gradients share which array
/// (<see cref="BufferPlan"/>), each array's size, and the scratch that later consumers of a shared gradient write.
/// <see cref="StepBuffers"/> allocates what this plans; the memory plan (<see cref="MemoryPlan"/>) counts it.
/// </summary>
internal sealed class StepLayout
{
    /// <summary><see cref="GradientTarget"/> entry: the input's own gradient array.</summary>
    public const int OwnGradient = 0;
    /// <summary><see cref="GradientTarget"/> entry: no gradient is written.</summary>
    public const int NoGradient = -1;

    /// <summary>Whether node j runs backward: it has trainable weights or is downstream of one.</summary>
    public required bool[] RunsBackward { get; init; }
    /// <summary>For each lifetime, the value it belongs to and whether it is that value's gradient.</summary>
    public required (int Value, bool Grad)[] Owners { get; init; }
    /// <summary>For each lifetime, the index of its shared array.</summary>
    public required int[] Assignment { get; init; }
    /// <summary>Each shared array's size in floats.</summary>
    public required long[] Sizes { get; init; }
    /// <summary>The model inputs' sizes in floats (each its own array: batches are gathered into it).</summary>
    public required long[] InputSizes { get; init; }
    /// <summary>Node j's input s: <see cref="OwnGradient"/>, <see cref="NoGradient"/>, or 1 + the scratch it writes.</summary>
    public required int[][] GradientTarget { get; init; }
    /// <summary>Node j's inputs whose gradient it writes to scratch k (the k-th entry), added after its backward.</summary>
    public required int[][] AccumulateSlots { get; init; }
    public required int SumScratchCount { get; init; }
    public required long SumScratchSize { get; init; }

    /// <summary>Bytes of every array the layout asks for.</summary>
    public long Bytes => 4 * (Sizes.Sum() + InputSizes.Sum() + SumScratchCount * SumScratchSize);

    /// <summary>
    /// The layout of <paramref name="graph"/>'s arrays for <paramref name="batchSize"/> samples. Time runs through a
    /// training step: node i's forward at i, the loss at N, node i's backward at 2N − i. <paramref name="stepStart"/>[j]:
    /// the node whose inference step writes node j's output (j itself unless a fused step starts earlier).
    /// <paramref name="inferenceOnly"/>: a replica that never runs backward, whose values live only until their last reader.
    /// </summary>
    public static StepLayout Of(Model graph, int batchSize, int[] stepStart, bool inferenceOnly)
    {
        var nodes = graph.Nodes;
        var shapes = graph.ValueShapes;
        int n = nodes.Count, inputs = graph.Inputs.Count, output = nodes[^1].Output;
        var needsGrad = new bool[inputs + n];
        var runsBackward = new bool[n];
        for (int j = 0; j < n; j++)
        {
            var node = nodes[j];
            runsBackward[j] = !inferenceOnly && ((node.Layer.TrainableParameterCount > 0 && !graph.WeightsSettled(j)) || node.Inputs.Any(v => needsGrad[v]));
            needsGrad[node.Output] = runsBackward[j];
        }
        int Back(int j) => 2 * n - j;
        var lifetimes = new List<BufferPlan.Lifetime>();
        var owners = new List<(int Value, bool Grad)>();
        for (int j = 0; j < n; j++)
        {
            var node = nodes[j];
            int v = node.Output, end = j;
            if (runsBackward[j] && node.Layer.BackwardNeedsOutput) end = Math.Max(end, Back(j));
            if (v == output) end = Math.Max(end, n);
            for (int c = j + 1; c < n; c++)
            {
                if (!nodes[c].Inputs.Contains(v)) continue;
                end = Math.Max(end, c);
                if (runsBackward[c] && nodes[c].Layer.BackwardNeedsInputs) end = Math.Max(end, Back(c));
                // The loss reads the logits feeding a fused softmax.
                if (c == n - 1) end = Math.Max(end, n);
            }
            long size = (long)batchSize * shapes[v].Size;
            lifetimes.Add(new(size, stepStart[j], end));
            owners.Add((v, false));
            if (!needsGrad[v]) continue;
            int lastConsumer = Enumerable.Range(j + 1, n - j - 1).LastOrDefault(c => nodes[c].Inputs.Contains(v), -1);
            lifetimes.Add(new(size, lastConsumer < 0 ? n : Back(lastConsumer), Back(j)));
            owners.Add((v, true));
        }
        var (assignment, sizes) = BufferPlan.Assign(lifetimes);
        var (targets, slots, scratchCount, scratchSize) = InputGradients(nodes, shapes, needsGrad, runsBackward, batchSize);
        return new StepLayout
        {
            RunsBackward = runsBackward,
            Owners = owners.ToArray(),
            Assignment = assignment,
            Sizes = sizes,
            InputSizes = Enumerable.Range(0, inputs).Select(i => (long)batchSize * shapes[i].Size).ToArray(),
            GradientTarget = targets,
            AccumulateSlots = slots,
            SumScratchCount = scratchCount,
            SumScratchSize = scratchSize,
        };
    }

    /// <summary>In backward order, the first consumer to reach a value writes its gradient; later ones write scratch that is added.</summary>
    private static (int[][] Targets, int[][] Slots, int Count, long Size) InputGradients(IReadOnlyList<Node> nodes, IReadOnlyList<Shape> shapes,
        bool[] needsGrad, bool[] runsBackward, int batchSize)
    {
        int n = nodes.Count, scratchCount = 0;
        var reached = new bool[needsGrad.Length];
        var targets = new int[n][];
        var allSlots = new int[n][];
        long scratchSize = 0;
        for (int j = n - 1; j >= 0; j--)
        {
            var node = nodes[j];
            targets[j] = new int[node.Inputs.Length];
            var slots = new List<int>();
            for (int s = 0; s < node.Inputs.Length; s++)
            {
                int v = node.Inputs[s];
                targets[j][s] = NoGradient;
                if (!needsGrad[v] || !runsBackward[j]) continue;
                if (reached[v])
                {
                    slots.Add(s);
                    targets[j][s] = slots.Count;
                    scratchSize = Math.Max(scratchSize, (long)batchSize * shapes[v].Size);
                }
                else
                {
                    targets[j][s] = OwnGradient;
                }
                reached[v] = true;
            }
            allSlots[j] = slots.ToArray();
            scratchCount = Math.Max(scratchCount, slots.Count);
        }
        return (targets, allSlots, scratchCount, scratchSize);
    }
}
