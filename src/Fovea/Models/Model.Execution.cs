using System.Numerics.Tensors;
using Fovea.Layers;
using Fovea.Losses;

namespace Fovea.Models;

/// <summary>The step machinery: the execution plan, forward, loss, backward.</summary>
public partial class Model
{
    private ExecutionPlan? _plan;
    private int[] _batchLabels = [];
    private int[] _batchIndices = [];

    private int Classes => OutputShape[^1];
    private int OutputValue => _nodes[^1].Output;
    private int _capacity;
    private ExecutionPlan Plan => _plan ?? throw new InvalidOperationException("the model has no execution plan: call EnsureCapacity first");
    private float[][] Values => Plan.Buffers.Values;

    /// <summary>The batch input buffer (the first input's values), where batches are gathered.</summary>
    internal float[] InputBuffer => Values[0];

    /// <summary>The output buffer of the last forward pass.</summary>
    internal float[] OutputBuffer => Values[OutputValue];

    /// <summary>Plans every buffer and step for batches of up to <paramref name="batchSize"/> samples; reused until a larger batch comes.</summary>
    private protected void EnsureCapacity(int batchSize)
    {
        Build();
        if (batchSize > _capacity) PlanExecution(batchSize);
    }

    /// <summary>
    /// Builds the execution plan for batches of <paramref name="batchSize"/>. Its own method: the lambdas here make
    /// the compiler allocate a closure on entry, which the steady-state check above must not pay.
    /// </summary>
    private void PlanExecution(int batchSize)
    {
        // Kernels index buffers with int: refuse a batch whose largest buffer would not fit, by name, before allocating.
        long largest = _valueShapes.Max(s => s.Size);
        foreach (var node in _nodes) largest = Math.Max(largest, node.Layer.ScratchPerSample(node.Layer.InputShapes));
        int maxBatch = (int)Math.Min(int.MaxValue, Array.MaxLength / largest);
        if (batchSize > maxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at most {maxBatch} for this model (its largest per-batch buffer holds {largest:N0} values per sample); got {batchSize}");
        ReleasePlans();
        BuildPlan(batchSize, _lender);
        _planTrainability = Layer.TrainabilityGeneration;
        _capacity = batchSize;
        if (_batchLabels.Length < batchSize) (_batchLabels, _batchIndices) = (new int[batchSize], new int[batchSize]);
    }

    /// <summary>Makes the plan for <paramref name="batchSize"/> samples, with the weights settled now.</summary>
    private void BuildPlan(int batchSize, BufferArena? arena = null)
    {
        _planSettled = _weightsSettled;
        _plan = ExecutionPlan.Build(this, batchSize, _inferenceOnly, arena);
    }

    /// <summary>Runs the model on the batch in <see cref="InputBuffer"/>. <paramref name="wholeBatch"/>: in inference,
    /// the batch this one is a slice of (a replica's), which decides each convolution's algorithm.
    /// <paramref name="stepSeed"/>: the training step's seed (a shard's replica is given its model's);
    /// <paramref name="shard"/>: the shard of the batch this pass trains.</summary>
    private protected void ForwardPass(int batch, bool training, int wholeBatch = 0, IStepObserver? observer = null, long? stepSeed = null, int shard = 0)
    {
        if (!training)
        {
            if (!TryForwardReplicated(batch)) Plan.Infer(new StepContext(batch, training: false) { SliceOf = wholeBatch });
            if (AveragesProbabilities)
            {
                // ln of the mean, a probability of 0 floored to the smallest float (ln: −103) rather than −∞.
                var log = LogProbabilities(batch);
                TensorPrimitives.Max(OutputBuffer.AsSpan(0, log.Length), float.Epsilon, log);
                TensorPrimitives.Log(log, log);
            }
            return;
        }
        // A training pass updates state such as BatchNorm's moving statistics.
        Parameter.MarkStateChanged();
        Plan.Forward(new StepContext(batch, training: true) { Seed = stepSeed ?? StepSeed, Shard = shard }, observer);
    }

    /// <summary>The seed of this training step's randomness, from the model's seed and the optimiser's step count:
    /// the same in every process and on resume (a string hash or <see cref="HashCode"/> would differ between processes).</summary>
    private long StepSeed
    {
        get
        {
            // SplitMix64's finaliser over (seed, step), without allocating a generator each step.
            ulong z = unchecked((ulong)Seed * 0x9E3779B97F4A7C15UL + (ulong)(Optimizer?.Iterations ?? 0) * 0xD1B54A32D192ED03UL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (long)(z ^ (z >> 31));
        }
    }

    private void BackwardPass(int batch, IStepObserver? observer = null) =>
        Plan.Backward(new StepContext(batch, training: true), observer);

    /// <summary>The logits of the last forward pass when the output is a softmax, else empty. For a mean of
    /// softmaxes (an ensemble), the logarithm of the mean: its softmax is the mean, so temperature scaling,
    /// test-time augmentation and the report treat it as one network's logits.</summary>
    private protected Span<float> Logits(int batch) => _nodes[^1].Layer switch
    {
        Fovea.Layers.Softmax => Values[_nodes[^1].Inputs[0]].AsSpan(0, batch * Classes),
        Dense { Activation: Activation.Softmax } d when d.KeepsLogits => d.Logits(batch),
        Average when AveragesProbabilities => LogProbabilities(batch),
        _ => [],
    };

    private float[] _logProbabilities = [];

    private Span<float> LogProbabilities(int batch)
    {
        int n = batch * Classes;
        if (_logProbabilities.Length < n) _logProbabilities = new float[Math.Max(n, _capacity * Classes)];
        return _logProbabilities.AsSpan(0, n);
    }

    /// <summary>Whether the output averages class probabilities: an <see cref="Average"/> of softmax outputs.</summary>
    internal bool AveragesProbabilities => _nodes.Count > 0 && _nodes[^1].Layer is Average
        && _nodes[^1].Inputs.All(v => v >= _inputs.Count && _nodes[v - _inputs.Count].Layer is Fovea.Layers.Softmax or Dense { Activation: Activation.Softmax });

    /// <summary>Loss summed over the batch and, when training, dL/d(output) of the reduced loss into the output's
    /// gradient buffer. <paramref name="reducedOver"/>: the batch the loss is reduced over, when this one is a slice of it.</summary>
    private double LossAndGradient(int batch, bool withGradient, int reducedOver = 0)
    {
        var labels = _batchLabels.AsSpan(0, batch);
        var output = OutputBuffer.AsSpan(0, batch * Classes);
        var grad = withGradient ? Plan.Buffers.Grads[OutputValue].AsSpan(0, batch * Classes) : Span<float>.Empty;
        var loss = Loss!;
        float scale = loss.GradientScale(reducedOver > 0 ? reducedOver : batch);
        double total = Plan.LossFused
            ? ((SparseCategoricalCrossentropy)loss).FromLogitsAndProbabilities(grad, Logits(batch), output, labels, Classes, scale)
            : loss.Compute(grad, output, labels, Classes, scale);
        // MixUp's batches: only SCCE on logits or a fused softmax get here (RequireMixableLoss).
        if (withGradient && _mixedCount > 0) total += MixedTargetCorrection(grad, Plan.LossFused ? Logits(batch) : output, labels, scale);
        return total;
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

    /// <summary>One optimisation step on the gathered batch: zero gradients, forward, loss, backward, update; each
    /// part reported to <paramref name="observer"/> when one watches.</summary>
    private protected (double LossSum, int Correct) TrainStep(int batch, IStepObserver? observer = null)
    {
        if (TryTrainStepInShards(batch, observer, out var sharded))
        {
            CheckSameWeights();
            return sharded;
        }
        Array.Clear(_gradients);
        observer?.PartEnded(StepPart.ZeroGradients);
        ForwardPass(batch, training: true, observer: observer);
        double loss = LossAndGradient(batch, withGradient: true);
        int correct = CountCorrect(batch);
        observer?.PartEnded(StepPart.Loss);
        BackwardPass(batch, observer);
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        observer?.PartEnded(StepPart.Optimizer);
        CheckSameWeights();
        return (loss, correct);
    }

    /// <summary>Called by Compile: a plan made before decided the loss fusion without this loss, so it is made again.</summary>
    private void PlanLossFusion(Loss loss)
    {
        if (_plan is not null && _plan.LossFused != (!_inferenceOnly && ExecutionPlan.FusesLoss(_nodes[^1].Layer, loss)))
            BuildPlan(_capacity);
    }
}
