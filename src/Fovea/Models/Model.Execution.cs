using System.Numerics.Tensors;
using Fovea.Layers;
using Fovea.Losses;

namespace Fovea.Models;

/// <summary>The step machinery: buffer planning, forward, loss, backward.</summary>
public partial class Model
{
    private float[][] _values = [];
    private float[]?[] _grads = [];
    private float[][][] _nodeInputs = [];
    private float[]?[][] _nodeInputGrads = [];
    private int[][] _accumulateSlots = [];
    private float[][] _sumScratch = [];
    private bool[] _runsBackward = [];
    private int[] _batchLabels = [];
    private int[] _batchIndices = [];
    private Fusion[] _fusion = [];
    private int _capacity;

    private int Classes => OutputShape[^1];
    private int OutputValue => _nodes[^1].Output;

    /// <summary>The batch input buffer (the first input's values), where batches are gathered.</summary>
    internal float[] InputBuffer => _values[0];

    /// <summary>The output buffer of the last forward pass.</summary>
    internal float[] OutputBuffer => _values[OutputValue];

    /// <summary>Sizes every buffer for batches of up to <paramref name="batchSize"/> samples; reused until a larger batch comes.</summary>
    private protected void EnsureCapacity(int batchSize)
    {
        Build();
        if (batchSize > _capacity) PlanBuffers(batchSize);
    }

    /// <summary>
    /// Plans every buffer for batches of <paramref name="batchSize"/>. Its own method: the lambdas here make the
    /// compiler allocate a closure on entry, which the steady-state check above must not pay.
    /// </summary>
    private void PlanBuffers(int batchSize)
    {
        int n = _nodes.Count, inputs = _inputs.Count, values = inputs + n;
        // Kernels index buffers with int: refuse a batch whose largest buffer would not fit, by name, before allocating.
        long largest = _valueShapes.Max(s => s.Size);
        foreach (var node in _nodes) largest = Math.Max(largest, node.Layer.ScratchPerSample(node.Layer.InputShapes));
        int maxBatch = (int)Math.Min(int.MaxValue, Array.MaxLength / largest);
        if (batchSize > maxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at most {maxBatch} for this model (its largest per-batch buffer holds {largest:N0} values per sample); got {batchSize}");

        // Which nodes need a backward pass: those with trainable weights, and those downstream of one.
        var needsGrad = new bool[values];
        _runsBackward = new bool[n];
        for (int j = 0; j < n; j++)
        {
            var node = _nodes[j];
            // An inference replica never runs backward: no gradient buffers, and values live only until their last reader.
            _runsBackward[j] = !_inferenceOnly && (node.Layer.TrainableParameterCount > 0 || node.Inputs.Any(v => needsGrad[v]));
            needsGrad[node.Output] = _runsBackward[j];
        }
        PlanInferenceFusion();
        // The nodes of a fused inference step are written by the step's convolution: their buffers live from there.
        var starts = Enumerable.Range(0, n).ToArray();
        for (int j = 0; j < n; j++)
        {
            // An input normalisation folded into the convolution after it starts that convolution's step.
            int step = j > 0 && _fusion[j - 1].InputOf > 0 ? j - 1 : j;
            foreach (int f in new[] { _fusion[j].Pool, _fusion[j].Norm, _fusion[j].Gelu, step < j ? j : 0 })
                if (f > 0) starts[f] = step;
        }
        int Back(int j) => 2 * n - j;
        var lifetimes = new List<BufferPlan.Lifetime>();
        var owner = new List<(int Value, bool Grad)>();
        for (int j = 0; j < n; j++)
        {
            var node = _nodes[j];
            int v = node.Output, end = j;
            if (_runsBackward[j] && node.Layer.BackwardNeedsOutput) end = Math.Max(end, Back(j));
            if (v == OutputValue) end = Math.Max(end, n);
            for (int c = j + 1; c < n; c++)
            {
                if (!_nodes[c].Inputs.Contains(v)) continue;
                end = Math.Max(end, c);
                if (_runsBackward[c] && _nodes[c].Layer.BackwardNeedsInputs) end = Math.Max(end, Back(c));
                // The loss reads the logits feeding a fused softmax.
                if (c == n - 1) end = Math.Max(end, n);
            }
            long size = (long)batchSize * _valueShapes[v].Size;
            lifetimes.Add(new(size, starts[j], end));
            owner.Add((v, false));
            if (!needsGrad[v]) continue;
            int lastConsumer = Enumerable.Range(j + 1, n - j - 1).LastOrDefault(c => _nodes[c].Inputs.Contains(v), -1);
            lifetimes.Add(new(size, lastConsumer < 0 ? n : Back(lastConsumer), Back(j)));
            owner.Add((v, true));
        }
        var (assignment, sizes) = BufferPlan.Assign(lifetimes);
        var arrays = sizes.Select(s => new float[s]).ToArray();
        _values = new float[values][];
        _grads = new float[]?[values];
        for (int i = 0; i < inputs; i++) _values[i] = new float[(long)batchSize * _valueShapes[i].Size];
        for (int i = 0; i < owner.Count; i++)
        {
            var (v, grad) = owner[i];
            if (grad) _grads[v] = arrays[assignment[i]];
            else _values[v] = arrays[assignment[i]];
        }

        // In backward order, the first consumer to reach a value writes its gradient; later ones write scratch that is added.
        _nodeInputs = new float[n][][];
        _nodeInputGrads = new float[]?[n][];
        _accumulateSlots = new int[n][];
        var reached = new bool[values];
        int scratchCount = 0;
        long scratchSize = 0;
        for (int j = n - 1; j >= 0; j--)
        {
            var node = _nodes[j];
            _nodeInputs[j] = node.Inputs.Select(v => _values[v]).ToArray();
            _nodeInputGrads[j] = new float[]?[node.Inputs.Length];
            var slots = new List<int>();
            for (int s = 0; s < node.Inputs.Length; s++)
            {
                int v = node.Inputs[s];
                if (!needsGrad[v] || !_runsBackward[j]) continue;
                if (reached[v])
                {
                    slots.Add(s);
                    scratchSize = Math.Max(scratchSize, (long)batchSize * _valueShapes[v].Size);
                }
                else
                {
                    _nodeInputGrads[j][s] = _grads[v];
                }
                reached[v] = true;
            }
            _accumulateSlots[j] = slots.ToArray();
            scratchCount = Math.Max(scratchCount, slots.Count);
        }
        _sumScratch = Enumerable.Range(0, scratchCount).Select(_ => new float[scratchSize]).ToArray();
        for (int j = 0; j < n; j++)
            for (int k = 0; k < _accumulateSlots[j].Length; k++)
                _nodeInputGrads[j][_accumulateSlots[j][k]] = _sumScratch[k];

        foreach (var node in _nodes) node.Layer.Plan(batchSize);
        _capacity = batchSize;
        _batchLabels = new int[batchSize];
        _batchIndices = new int[batchSize];
    }

    /// <summary>Nodes an inference step fuses into the convolution at its start (0: none), in order.</summary>
    /// <summary>Nodes an inference step fuses into the convolution at its start (0: none), in order; or, for a
    /// Normalization node, <see cref="InputOf"/>: the convolution after it that folds it in.</summary>
    private readonly record struct Fusion(int Pool, int Norm, int Gelu, int InputOf = 0)
    {
        public bool Any => Pool > 0 || Norm > 0 || Gelu > 0;
    }

    /// <summary>
    /// The inference graph's fusions, from the graph alone (<see cref="Conv2D.ForwardInference"/>): a convolution whose
    /// output only a max-pool reads pools it chunk by chunk, from cache; a linear convolution then takes a
    /// BatchNormalization that alone reads its output (or its pool's) into its kernel and bias, and a GELU that alone
    /// reads the result into the epilogue of its GEMM (or of its pool); a Normalization whose output only a 'valid'
    /// convolution reads is folded into that convolution's kernel and bias (airbench94's input scaling).
    /// </summary>
    private void PlanInferenceFusion()
    {
        int n = _nodes.Count;
        _fusion = new Fusion[n];
        for (int j = 0; j + 1 < n; j++)
        {
            if (_nodes[j].Layer is Normalization && Next(j) is Conv2D { Padding: Padding.Valid })
            {
                _fusion[j] = new Fusion(0, 0, 0, InputOf: j + 1);
                continue;
            }
            if (_nodes[j].Layer is not Conv2D conv) continue;
            int at = j, pool = 0, norm = 0, gelu = 0;
            if (Next(at) is MaxPool2D) pool = at = at + 1;
            if (conv.Activation == Activation.Linear)
            {
                if (Next(at) is BatchNormalization) norm = at = at + 1;
                if (Next(at) is Gelu) gelu = at + 1;
            }
            _fusion[j] = new Fusion(pool, norm, gelu);
        }

        // The layer of node at + 1 when it is the one reader of node at's output, which is not the model's output either.
        Layer? Next(int at)
        {
            int v = _nodes[at].Output, r = at + 1;
            if (r >= n || _nodes[r].Inputs.Length != 1 || _nodes[r].Inputs[0] != v || v == OutputValue) return null;
            for (int c = r + 1; c < n; c++)
                if (_nodes[c].Inputs.Contains(v)) return null;
            return _nodes[r].Layer;
        }
    }

    /// <summary>Folds BatchNormalization into the convolution before it, and a Normalization into the 'valid'
    /// convolution after it, at inference (tests turn it off to compare with the layers one by one).</summary>
    internal static bool FoldBatchNorm = true;

    /// <summary>One step of an inference pass from node <paramref name="j"/>: the node, or a fused run of nodes from
    /// it; returns the last node it computed.</summary>
    private int InferenceStep(int j, int batch)
    {
        var node = _nodes[j];
        var fusion = _fusion[j];
        if (fusion.InputOf > 0 && FoldBatchNorm
            && TryConvolutionStep(fusion.InputOf, _nodeInputs[j][0], (Normalization)node.Layer, batch, out int through))
            return through;
        if (fusion.Any && TryConvolutionStep(j, _nodeInputs[j][0], null, batch, out through)) return through;
        node.Layer.StepSeed = 0;
        node.Layer.Forward(_values[node.Output], _nodeInputs[j], batch, training: false);
        return j;
    }

    /// <summary>The convolution at node <paramref name="j"/> with what it fuses, on <paramref name="input"/> (its own
    /// input, or that of the normalisation before it, folded in); false, having done nothing, when it cannot.</summary>
    private bool TryConvolutionStep(int j, float[] input, Normalization? inputNorm, int batch, out int last)
    {
        var conv = (Conv2D)_nodes[j].Layer;
        var fusion = _fusion[j];
        var pool = fusion.Pool > 0 ? (MaxPool2D)_nodes[fusion.Pool].Layer : null;
        if (fusion.Norm > 0 && FoldBatchNorm)
        {
            last = fusion.Gelu > 0 ? fusion.Gelu : fusion.Norm;
            if (conv.ForwardInference(_values[_nodes[last].Output], input, batch, pool,
                    (BatchNormalization)_nodes[fusion.Norm].Layer, gelu: fusion.Gelu > 0, inputNorm))
                return true;
        }
        // Without the normalisation (not folded here): the pool, and the GELU when it follows the pool directly.
        bool gelu = fusion.Norm == 0 && fusion.Gelu > 0;
        last = gelu ? fusion.Gelu : fusion.Pool > 0 ? fusion.Pool : j;
        if ((last > j || inputNorm is not null) && conv.ForwardInference(_values[_nodes[last].Output], input, batch, pool, null, gelu, inputNorm))
            return true;
        last = -1;
        return false;
    }

    /// <summary>Runs every layer on the batch in <see cref="InputBuffer"/>. <paramref name="wholeBatch"/>: in inference,
    /// the batch this one is a slice of (a replica's), which decides each convolution's algorithm.</summary>
    private protected void ForwardPass(int batch, bool training, int wholeBatch = 0)
    {
        if (!training && TryForwardReplicated(batch)) return;
        if (!training)
        {
            foreach (var node in _nodes)
                if (node.Layer is Conv2D conv) conv.InferenceBatch = wholeBatch > 0 ? wholeBatch : batch;
        }
        // A training pass updates state such as BatchNorm's moving statistics.
        if (training) Parameter.MarkChanged();
        long stepSeed = training ? HashCode.Combine(Seed, Optimizer?.Iterations ?? 0) : 0;
        for (int j = 0; j < _nodes.Count; j++)
        {
            var node = _nodes[j];
            if (!training)
            {
                j = InferenceStep(j, batch);
                continue;
            }
            node.Layer.StepSeed = stepSeed;
            node.Layer.Forward(_values[node.Output], _nodeInputs[j], batch, training);
        }
    }

    /// <summary>Backward through node <paramref name="j"/>, summing into gradients that several consumers share.</summary>
    private void BackwardNode(int j, int batch)
    {
        if (!_runsBackward[j]) return;
        var node = _nodes[j];
        node.Layer.Backward(_nodeInputGrads[j], _grads[node.Output]!, _nodeInputs[j], _values[node.Output], batch);
        for (int k = 0; k < _accumulateSlots[j].Length; k++)
        {
            int v = node.Inputs[_accumulateSlots[j][k]];
            int len = batch * (int)_valueShapes[v].Size;
            var sum = _grads[v].AsSpan(0, len);
            TensorPrimitives.Add(sum, _sumScratch[k].AsSpan(0, len), sum);
        }
    }

    private void BackwardPass(int batch)
    {
        for (int j = _nodes.Count - 1; j >= 0; j--) BackwardNode(j, batch);
    }

    /// <summary>The logits of the last forward pass when the output is a softmax, else empty.</summary>
    private protected Span<float> Logits(int batch) => _nodes[^1].Layer switch
    {
        Fovea.Layers.Softmax => _values[_nodes[^1].Inputs[0]].AsSpan(0, batch * Classes),
        Dense { Activation: Activation.Softmax } d when d.KeepsLogits => d.Logits(batch),
        _ => [],
    };

    /// <summary>Loss summed over the batch and, when training, dL/d(output) of the reduced loss into the output's
    /// gradient buffer. <paramref name="reducedOver"/>: the batch the loss is reduced over, when this one is a slice of it.</summary>
    private double LossAndGradient(int batch, bool withGradient, int reducedOver = 0)
    {
        var labels = _batchLabels.AsSpan(0, batch);
        var output = OutputBuffer.AsSpan(0, batch * Classes);
        var grad = withGradient ? _grads[OutputValue].AsSpan(0, batch * Classes) : Span<float>.Empty;
        var loss = Loss!;
        float scale = loss.GradientScale(reducedOver > 0 ? reducedOver : batch);
        if (_nodes[^1].Layer.SoftmaxFusedWithLoss)
            return ((SparseCategoricalCrossentropy)loss).FromLogitsAndProbabilities(grad, Logits(batch), output, labels, Classes, scale);
        return loss.Compute(grad, output, labels, Classes, scale);
    }

    private int CountCorrect(int batch)
    {
        int classes = Classes, correct = 0;
        var output = OutputBuffer;
        for (int i = 0; i < batch; i++)
        {
            int best = TensorPrimitives.IndexOfMax(output.AsSpan(i * classes, classes));
            if (best == _batchLabels[i]) correct++;
        }
        return correct;
    }

    /// <summary>One optimisation step on the gathered batch: zero gradients, forward, loss, backward, update.</summary>
    private protected (double LossSum, int Correct) TrainStep(int batch)
    {
        if (TryTrainStepInSlices(batch, out var sliced)) return sliced;
        Array.Clear(_gradients);
        ForwardPass(batch, training: true);
        double loss = LossAndGradient(batch, withGradient: true);
        int correct = CountCorrect(batch);
        BackwardPass(batch);
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        return (loss, correct);
    }

    /// <summary>Decides whether a final softmax is fused with the loss; called by Compile.</summary>
    private void PlanLossFusion(Loss loss)
    {
        var last = _nodes[^1].Layer;
        // A final softmax followed by cross-entropy on probabilities is fused into one stable step on the logits.
        bool fused = loss is SparseCategoricalCrossentropy { FromLogits: false }
            && (last is Dense { Activation: Activation.Softmax } || last is Fovea.Layers.Softmax);
        last.SoftmaxFusedWithLoss = fused;
    }
}
