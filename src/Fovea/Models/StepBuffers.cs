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
    public bool[] RunsBackward { get; private set; } = [];

    /// <summary>
    /// Plans the arrays of <paramref name="graph"/> for <paramref name="batchSize"/> samples (<see cref="StepLayout"/>)
    /// and allocates them, or borrows them from <paramref name="arena"/>.
    /// </summary>
    public static StepBuffers Plan(Model graph, int batchSize, int[] stepStart, bool inferenceOnly, BufferArena? arena = null)
    {
        var layout = StepLayout.Of(graph, batchSize, stepStart, inferenceOnly);
        var nodes = graph.Nodes;
        var shapes = graph.ValueShapes;
        int n = nodes.Count, inputs = graph.Inputs.Count;
        var b = new StepBuffers(batchSize, inputs + n, n) { RunsBackward = layout.RunsBackward };
        float[] New(long size) => arena?.Take(size) ?? new float[size];
        var arrays = layout.Sizes.Select(New).ToArray();
        for (int i = 0; i < inputs; i++) b.Values[i] = New((long)batchSize * shapes[i].Size);
        for (int i = 0; i < layout.Owners.Length; i++)
        {
            var (v, grad) = layout.Owners[i];
            if (grad) b.Grads[v] = arrays[layout.Assignment[i]];
            else b.Values[v] = arrays[layout.Assignment[i]];
        }
        b.SumScratch = Enumerable.Range(0, layout.SumScratchCount).Select(_ => New(layout.SumScratchSize)).ToArray();
        for (int j = 0; j < n; j++)
        {
            NodeArrays(b, nodes[j], j, layout);
        }
        return b;
    }

    /// <summary>Node j's input arrays and where its backward writes each input's gradient.</summary>
    private static void NodeArrays(StepBuffers b, Node node, int j, StepLayout layout)
    {
        b.NodeInputs[j] = node.Inputs.Select(v => b.Values[v]).ToArray();
        b.NodeInputGrads[j] = new float[]?[node.Inputs.Length];
        for (int s = 0; s < node.Inputs.Length; s++)
            if (layout.GradientTarget[j][s] == StepLayout.OwnGradient) b.NodeInputGrads[j][s] = b.Grads[node.Inputs[s]];
        b.AccumulateSlots[j] = layout.AccumulateSlots[j];
        for (int k = 0; k < b.AccumulateSlots[j].Length; k++)
            b.NodeInputGrads[j][b.AccumulateSlots[j][k]] = b.SumScratch[k];
    }
}
