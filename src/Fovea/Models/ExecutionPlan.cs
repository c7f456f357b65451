using System.Numerics.Tensors;
using Fovea.Layers;
using Fovea.Losses;

namespace Fovea.Models;

/// <summary>
/// How a model runs on batches of up to <see cref="Capacity"/> samples, decided once from its graph: the arrays
/// (<see cref="StepBuffers"/>), the inference steps (each node's layer, or a convolution with what
/// <see cref="InferenceFusion"/> fused into it), and whether the loss takes the final softmax's logits. Training runs
/// every node's forward and backward; inference runs the steps: <see cref="Infer"/> → <see cref="PlanStep.Run"/> → kernels.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly IReadOnlyList<Node> _nodes;
    private readonly IReadOnlyList<Shape> _valueShapes;
    private readonly PlanStep[] _steps;

    private ExecutionPlan(Model graph, StepBuffers buffers, PlanStep[] steps, bool lossFused)
    {
        (_nodes, _valueShapes, Buffers, _steps, LossFused) = (graph.Nodes, graph.ValueShapes, buffers, steps, lossFused);
    }

    public StepBuffers Buffers { get; }

    public int Capacity => Buffers.Capacity;

    /// <summary>Whether the final softmax is fused with the loss: the loss is computed from the logits, and the last
    /// layer's backward receives dL/d(logits).</summary>
    public bool LossFused { get; }

    /// <summary>A final softmax followed by cross-entropy on probabilities is fused into one stable step on the logits.</summary>
    public static bool FusesLoss(Layer last, Loss? loss) =>
        loss is SparseCategoricalCrossentropy { FromLogits: false }
        && (last is Dense { Activation: Activation.Softmax } || last is Fovea.Layers.Softmax);

    /// <summary>The plan of <paramref name="graph"/> (built) for <paramref name="batchSize"/> samples;
    /// <paramref name="inferenceOnly"/> for a replica that never trains, whose arrays <paramref name="arena"/> may lend.</summary>
    public static ExecutionPlan Build(Model graph, int batchSize, bool inferenceOnly, BufferArena? arena = null)
    {
        var nodes = graph.Nodes;
        var fusion = InferenceFusion.Plan(graph);
        var buffers = StepBuffers.Plan(graph, batchSize, InferenceFusion.StepStarts(fusion), inferenceOnly, arena);
        int n = nodes.Count;
        var layers = new LayerStep[n];
        for (int j = 0; j < n; j++) layers[j] = new LayerStep(j, nodes[j].Layer, buffers.Values[nodes[j].Output], buffers.NodeInputs[j]);
        var steps = new PlanStep[n];
        var convolutions = new ConvolutionStep?[n];
        for (int j = 0; j < n; j++)
        {
            var padding = j > 0 && fusion[j - 1].InputOf == j ? nodes[j - 1].Layer as ZeroPadding2D : null;
            if (nodes[j].Layer is Conv2D) steps[j] = convolutions[j] = new ConvolutionStep(j, fusion[j], graph, buffers, layers[j], padding);
            else steps[j] = layers[j];
        }
        for (int j = 0; j < n; j++)
        {
            if (fusion[j].InputOf > 0)
                steps[j] = nodes[j].Layer is ZeroPadding2D
                    ? new PaddedInputStep(layers[j], convolutions[fusion[j].InputOf]!)
                    : new InputNormalizationStep(layers[j], (Normalization)nodes[j].Layer, buffers.NodeInputs[j][0], convolutions[fusion[j].InputOf]!);
            else if (fusion[j].Pool > 0 && nodes[j].Layer is ZeroPadding2D pad)
                steps[j] = new PaddedPoolStep(j + 1, pad, (MaxPool2D)nodes[j + 1].Layer, layers[j], layers[j + 1], buffers.NodeInputs[j][0], buffers.Values[nodes[j + 1].Output]);
        }
        foreach (var node in nodes) node.Layer.Plan(batchSize);
        return new ExecutionPlan(graph, buffers, steps, !inferenceOnly && FusesLoss(nodes[^1].Layer, graph.Loss));
    }

    /// <summary>An inference pass on <paramref name="step"/>'s batch, step by step.</summary>
    public void Infer(in StepContext step)
    {
        for (int j = 0; j < _steps.Length; j++) j = _steps[j].Run(step);
    }

    /// <summary>The inference step starting at node <paramref name="node"/>; returns the last node it computed.</summary>
    public int RunStep(int node, in StepContext step) => _steps[node].Run(step);

    /// <summary>A training pass's forward through every node, each reported to <paramref name="observer"/>.</summary>
    public void Forward(in StepContext step, IStepObserver? observer)
    {
        var values = Buffers.Values;
        for (int j = 0; j < _nodes.Count; j++)
        {
            _nodes[j].Layer.Forward(values[_nodes[j].Output], Buffers.NodeInputs[j], step);
            observer?.PartEnded(StepPart.Forward, j);
        }
    }

    /// <summary>Backward through every node that needs it, last first, each reported to <paramref name="observer"/>.</summary>
    public void Backward(in StepContext step, IStepObserver? observer)
    {
        for (int j = _nodes.Count - 1; j >= 0; j--)
        {
            BackwardNode(j, step);
            observer?.PartEnded(StepPart.Backward, j);
        }
    }

    /// <summary>
    /// Backward from the gradient in the output's buffer through nodes last … <paramref name="stop"/> + 1, leaving
    /// the gradient of node <paramref name="stop"/>'s output complete in its buffer. <paramref name="outputIsLogits"/>:
    /// the output gradient is with respect to a final softmax's logits, whose Jacobian is then not applied.
    /// </summary>
    public void BackwardDownTo(int stop, in StepContext step, bool outputIsLogits)
    {
        for (int j = _nodes.Count - 1; j > stop; j--)
            BackwardNode(j, outputIsLogits && j == _nodes.Count - 1 ? step with { SoftmaxFusedWithLoss = true } : step);
    }

    /// <summary>Backward through node <paramref name="j"/>, summing into gradients that several consumers share.</summary>
    private void BackwardNode(int j, in StepContext step)
    {
        var b = Buffers;
        if (!b.RunsBackward[j]) return;
        var node = _nodes[j];
        var context = LossFused && j == _nodes.Count - 1 ? step with { SoftmaxFusedWithLoss = true } : step;
        node.Layer.Backward(b.NodeInputGrads[j], b.Grads[node.Output]!, b.NodeInputs[j], b.Values[node.Output], context);
        for (int k = 0; k < b.AccumulateSlots[j].Length; k++)
        {
            int v = node.Inputs[b.AccumulateSlots[j][k]];
            int len = step.Batch * (int)_valueShapes[v].Size;
            var sum = b.Grads[v].AsSpan(0, len);
            TensorPrimitives.Add(sum, b.SumScratch[k].AsSpan(0, len), sum);
        }
    }
}
