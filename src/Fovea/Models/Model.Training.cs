using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Optimizers;

namespace Fovea.Models;

/// <summary>
/// Compile, the steps a training loop takes (one batch trained, one batch evaluated) and Predict. The loops
/// themselves (Fit, Evaluate, callbacks, checkpoints) are <c>Fovea.Training.Trainer</c>'s.
/// </summary>
public partial class Model
{
    /// <summary>
    /// Sets the optimiser, the loss and the metrics (only <c>"accuracy"</c> is supported and always reported). Any
    /// <see cref="Losses.Loss"/> is taken; a <see cref="SparseCategoricalCrossentropy"/> after a final softmax is fused
    /// with it (computed from the logits).
    /// </summary>
    public void Compile(Optimizer optimizer, Loss loss, IEnumerable<string>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        foreach (var metric in metrics ?? [])
            if (metric is not ("accuracy" or "acc" or "sparse_categorical_accuracy"))
                throw new ArgumentException($"metrics supports 'accuracy'; got '{metric}'", nameof(metrics));
        Build();
        // Labels are class indices, so every loss compares an output of one score per class with them.
        if (OutputShape.Rank != 1)
            throw new ArgumentException($"{loss.Name} needs an output of shape (classes,); the model's is {OutputShape.ToString("None")}: end it with Flatten and Dense", nameof(loss));
        optimizer.Bind(AllWeights.Where(p => p.Trainable).ToList(), _weights.Length);
        _spansTrainability = Layer.TrainabilityGeneration;
        Optimizer = optimizer;
        ResetSettledWeights();
        Loss = loss;
        PlanLossFusion(loss);
    }

    /// <summary>Checks that <paramref name="x"/> and <paramref name="y"/> fit the model; the message names <paramref name="argument"/>.</summary>
    internal void CheckData(DataSource x, int[] y, string argument)
    {
        ArgumentNullException.ThrowIfNull(y);
        Build();
        CheckSingleInput();
        if (x.SampleShape != InputShape)
            throw new ArgumentException($"{argument} samples must have the model's input shape {InputShape}; got {x.SampleShape}", argument);
        if (x.Count != y.Length)
            throw new ArgumentException($"{argument} has {x.Count} samples but {y.Length} labels", argument);
        foreach (int label in y)
            if ((uint)label >= (uint)Classes)
                throw new ArgumentOutOfRangeException(argument, $"labels must be in [0, {Classes}); got {label}");
    }

    private void CheckSingleInput()
    {
        if (_inputs.Count != 1) throw new NotSupportedException($"Fit, Evaluate and Predict take models with one input; this one has {_inputs.Count}");
    }

    internal void RequireCompiled()
    {
        if (Optimizer is null || Loss is null) throw new InvalidOperationException("the model must be compiled before Fit or Evaluate: call Compile(optimizer, loss)");
    }

    /// <summary>
    /// Augmentation applied to each gathered training batch before the step (random translations, flips …); drawn
    /// from (seed, epoch, sample), so it is the same for any thread count and on resume. Not used by Evaluate or Predict.
    /// </summary>
    public IBatchAugmentation? Augmentation { get; set; }

    /// <summary>Plans buffers for batches of <paramref name="batchSize"/> out of <paramref name="count"/> samples; returns the batch size the steps take.</summary>
    internal int PrepareBatches(int batchSize, int count)
    {
        // Batches trained as micro-batches need a plan for one micro-batch only; evaluation then takes that size too.
        EnsureCapacity(PlannedTrainingBatch(Math.Min(batchSize, count)));
        return Math.Min(batchSize, _capacity);
    }

    /// <summary>
    /// One training step on the samples <paramref name="indices"/> of <paramref name="x"/>: gathered, augmented for
    /// <paramref name="epoch"/>, then forward, loss, backward and the optimiser's step. Returns the loss summed over
    /// the batch and the number of correct predictions.
    /// </summary>
    internal (double LossSum, int Correct) TrainBatch(DataSource x, int[] y, ReadOnlySpan<int> indices, int epoch)
    {
        int batch = indices.Length;
        SyncTrainability();
        if (TrainingShards(batch) < 2) EnsureSettledPlan();
        if (MicroBatches(batch) is > 1 and int parts) return TrainInMicroBatches(x, y, indices, epoch, parts);
        // A process that shares the step with others gathers only its shards' samples.
        var (first, end) = LocalSamples(batch);
        var mine = indices[first..end];
        x.Gather(InputBuffer, mine);
        Augmentation?.Apply(InputBuffer, mine, InputShape, epoch, Seed);
        for (int j = 0; j < mine.Length; j++) _batchLabels[j] = y[mine[j]];
        MixBatch(x, y, indices, first, mine.Length, epoch);
        return TrainStep(batch);
    }

    /// <summary>The optimiser's last step of a run (e.g. Lookahead's slow weights), before the last validation.</summary>
    internal void EndTraining()
    {
        Optimizer!.EndTraining(_weights);
        Parameter.MarkChanged();
    }

    /// <summary>Loss summed and correct predictions counted over samples [start, start + batch) of <paramref name="x"/>, in inference.</summary>
    /// <remarks>With <paramref name="plain"/>, the batch's scores from the image as it is (what <see cref="PredictLogits(ImageSet, int, TestTimeAugmentation)"/>
    /// gives without test-time augmentation) are copied there: one of the views when there are several. With
    /// <paramref name="scores"/>, the scores the loss was computed from (with <paramref name="tta"/>, the views' weighted
    /// mean: what <c>PredictLogits</c> gives with it).</remarks>
    internal (double LossSum, int Correct) EvaluateBatch(DataSource x, int[] y, int start, int batch, TestTimeAugmentation tta,
        Span<float> plain = default, Span<float> scores = default)
    {
        for (int j = 0; j < batch; j++) _batchIndices[j] = start + j;
        y.AsSpan(start, batch).CopyTo(_batchLabels);
        ForwardBatch(x, batch, tta, plain);
        if (!scores.IsEmpty) Scores(batch).CopyTo(scores);
        return (LossAndGradient(batch, withGradient: false), CountCorrect(batch));
    }

    /// <summary>Runs the batch <see cref="_batchIndices"/> of <paramref name="x"/> forward, through the views of <paramref name="tta"/> if any;
    /// copies the plain view's scores into <paramref name="plain"/> unless it is empty.</summary>
    private void ForwardBatch(DataSource x, int batch, TestTimeAugmentation tta, Span<float> plain = default)
    {
        if (tta == TestTimeAugmentation.None)
        {
            x.Gather(InputBuffer, _batchIndices.AsSpan(0, batch));
            ForwardPass(batch, training: false);
            if (!plain.IsEmpty) Scores(batch).CopyTo(plain);
        }
        else
        {
            ForwardWithTta(x, batch, tta, plain);
        }
    }

    /// <summary>The batch's scores before the final softmax: its logits, or the output of a model without one.</summary>
    private Span<float> Scores(int batch) => Logits(batch) is { IsEmpty: false } logits ? logits : OutputBuffer.AsSpan(0, batch * (int)OutputShape.Size);

    /// <summary>The model's output for every sample: class probabilities, shape (N, classes), with the logits divided
    /// by <see cref="Temperature"/> when the model has one.</summary>
    public Tensor Predict(ImageSet x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) => Predict(DataSource.From(x), batchSize, tta, PredictionKind.Output);
    /// <summary>The model's output for every sample of images already in a float tensor: class probabilities, shape (N, classes),
    /// with the logits divided by <see cref="Temperature"/> when the model has one.</summary>
    public Tensor Predict(Tensor x, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) => Predict(DataSource.From(x), batchSize, tta, PredictionKind.Output);

    private Tensor Predict(DataSource x, int batchSize, TestTimeAugmentation tta, PredictionKind kind)
    {
        Build();
        CheckSingleInput();
        if (x.SampleShape != InputShape)
            throw new ArgumentException($"x samples must have the model's input shape {InputShape}; got {x.SampleShape}", nameof(x));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        var result = new Tensor(OutputShape.WithBatch(x.Count));
        if (x.Count == 0) return result;
        int cap = PrepareEvaluation(batchSize, x.Count), outSize = (int)OutputShape.Size;
        for (int start = 0; start < x.Count; start += cap)
        {
            int batch = Math.Min(cap, x.Count - start);
            for (int j = 0; j < batch; j++) _batchIndices[j] = start + j;
            ForwardBatch(x, batch, tta);
            CopyPrediction(result.Data.AsSpan(start * outSize), batch, kind);
        }
        return result;
    }
}
