using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// The arrays of one step for batches of up to <see cref="Capacity"/> samples: each value's activations and, for
/// training, its gradient, shared by lifetime (<see cref="BufferPlan"/>); each node's input arrays; and, where several
/// consumers feed one gradient, the scratch that later ones write and the model adds.
/// </summary>
internal sealed class StepBuffers
{
    private StepBuffers(int capacity, int values, int nodes)
    {
        Capacity = capacity;
        Values = new float[values][];
        Grads = new float[]?[values];
        NodeInputs = new float[nodes][][];
        NodeInputGrads = new float[]?[nodes][];
        AccumulateSlots = new int[nodes][];
        RunsBackward = new bool[nodes];
    }

    public int Capacity { get; }

    /// <summary>Value v's activations [capacity, shape of v]: the model's inputs first, then each node's output.</summary>
    public float[][] Values { get; }

    /// <summary>dL/d(value v), for values a backward pass reaches; null elsewhere.</summary>
    public float[]?[] Grads { get; }

    /// <summary>Node j's input arrays, in its input order.</summary>
    public float[][][] NodeInputs { get; }

    /// <summary>Where node j's backward writes dL/d(input s): the value's gradient, scratch to be added, or null.</summary>
    public float[]?[][] NodeInputGrads { get; }

    /// <summary>Node j's inputs whose gradient it writes to scratch k (the k-th entry), added after its backward.</summary>
    public int[][] AccumulateSlots { get; }

    public float[][] SumScratch { get; private set; } = [];

    /// <summary>Whether node j runs backward: it has trainable weights or is downstream of one.</summary>
    public bool[] RunsBackward { get; }

    /// <summary>
    /// Plans the arrays of <paramref name="graph"/> for <paramref name="batchSize"/> samples. Time runs through a
    /// training step: node i's forward at i, the loss at N, node i's backward at 2N − i. <paramref name="stepStart"/>[j]:
    /// the node whose inference step writes node j's output (j itself unless a fused step starts earlier).
    /// <paramref name="inferenceOnly"/>: a replica that never runs backward, whose values live only until their last reader.
    /// </summary>
    public static StepBuffers Plan(Model graph, int batchSize, int[] stepStart, bool inferenceOnly)
    {
        var nodes = graph.Nodes;
        var shapes = graph.ValueShapes;
        int n = nodes.Count, inputs = graph.Inputs.Count, output = nodes[^1].Output;
        var b = new StepBuffers(batchSize, inputs + n, n);
        var needsGrad = new bool[inputs + n];
        for (int j = 0; j < n; j++)
        {
            var node = nodes[j];
            b.RunsBackward[j] = !inferenceOnly && (node.Layer.TrainableParameterCount > 0 || node.Inputs.Any(v => needsGrad[v]));
            needsGrad[node.Output] = b.RunsBackward[j];
        }
        int Back(int j) => 2 * n - j;
        var lifetimes = new List<BufferPlan.Lifetime>();
        var owner = new List<(int Value, bool Grad)>();
        for (int j = 0; j < n; j++)
        {
            var node = nodes[j];
            int v = node.Output, end = j;
            if (b.RunsBackward[j] && node.Layer.BackwardNeedsOutput) end = Math.Max(end, Back(j));
            if (v == output) end = Math.Max(end, n);
            for (int c = j + 1; c < n; c++)
            {
                if (!nodes[c].Inputs.Contains(v)) continue;
                end = Math.Max(end, c);
                if (b.RunsBackward[c] && nodes[c].Layer.BackwardNeedsInputs) end = Math.Max(end, Back(c));
                // The loss reads the logits feeding a fused softmax.
                if (c == n - 1) end = Math.Max(end, n);
            }
            long size = (long)batchSize * shapes[v].Size;
            lifetimes.Add(new(size, stepStart[j], end));
            owner.Add((v, false));
            if (!needsGrad[v]) continue;
            int lastConsumer = Enumerable.Range(j + 1, n - j - 1).LastOrDefault(c => nodes[c].Inputs.Contains(v), -1);
            lifetimes.Add(new(size, lastConsumer < 0 ? n : Back(lastConsumer), Back(j)));
            owner.Add((v, true));
        }
        var (assignment, sizes) = BufferPlan.Assign(lifetimes);
        var arrays = sizes.Select(s => new float[s]).ToArray();
        for (int i = 0; i < inputs; i++) b.Values[i] = new float[(long)batchSize * shapes[i].Size];
        for (int i = 0; i < owner.Count; i++)
        {
            var (v, grad) = owner[i];
            if (grad) b.Grads[v] = arrays[assignment[i]];
            else b.Values[v] = arrays[assignment[i]];
        }
        b.PlanInputGradients(nodes, shapes, needsGrad, batchSize);
        return b;
    }

    /// <summary>In backward order, the first consumer to reach a value writes its gradient; later ones write scratch that is added.</summary>
    private void PlanInputGradients(IReadOnlyList<Node> nodes, IReadOnlyList<Shape> shapes, bool[] needsGrad, int batchSize)
    {
        int n = nodes.Count, scratchCount = 0;
        var reached = new bool[needsGrad.Length];
        long scratchSize = 0;
        for (int j = n - 1; j >= 0; j--)
        {
            var node = nodes[j];
            NodeInputs[j] = node.Inputs.Select(v => Values[v]).ToArray();
            NodeInputGrads[j] = new float[]?[node.Inputs.Length];
            var slots = new List<int>();
            for (int s = 0; s < node.Inputs.Length; s++)
            {
                int v = node.Inputs[s];
                if (!needsGrad[v] || !RunsBackward[j]) continue;
                if (reached[v])
                {
                    slots.Add(s);
                    scratchSize = Math.Max(scratchSize, (long)batchSize * shapes[v].Size);
                }
                else
                {
                    NodeInputGrads[j][s] = Grads[v];
                }
                reached[v] = true;
            }
            AccumulateSlots[j] = slots.ToArray();
            scratchCount = Math.Max(scratchCount, slots.Count);
        }
        SumScratch = Enumerable.Range(0, scratchCount).Select(_ => new float[scratchSize]).ToArray();
        for (int j = 0; j < n; j++)
            for (int k = 0; k < AccumulateSlots[j].Length; k++)
                NodeInputGrads[j][AccumulateSlots[j][k]] = SumScratch[k];
    }
}
