namespace Fovea.Models;

/// <summary>The bytes a step asks for, counted from the plan without allocating it.</summary>
public partial class Model
{
    /// <summary>
    /// The memory a step on <paramref name="batchSize"/> samples asks for (<see cref="MemoryPlan"/>): the buffer plan
    /// of a training step, or of an inference pass (the arrays live only until their last reader, fused steps share
    /// theirs), counted without allocating anything. Builds the model if needed.
    /// </summary>
    public MemoryPlan PlanMemory(int batchSize, bool training = true)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be at least 1; got {batchSize}");
        Build();
        var starts = InferenceFusion.StepStarts(InferenceFusion.Plan(this));
        long activations = StepLayout.Of(this, batchSize, starts, inferenceOnly: !training).Bytes;
        foreach (var node in _nodes) activations += node.Layer.ScratchBytes(batchSize, training);
        long optimizerState = 0;
        if (training && Optimizer is not null)
            foreach (var slot in Optimizer.GetSlots().Values) optimizerState += 4L * slot.Length;
        return new MemoryPlan
        {
            BatchSize = batchSize,
            Training = training,
            ActivationBytes = activations,
            GradientBytes = training ? 4L * TrainableParameterCount : 0,
            WeightBytes = 4L * ParameterCount,
            OptimizerStateBytes = optimizerState,
        };
    }

    /// <summary>Activation bytes of one picture in a training step and in an inference pass (Summary's last line).</summary>
    public (long Training, long Inference) ActivationBytesPerPicture() =>
        (PlanMemory(1, training: true).ActivationBytes, PlanMemory(1, training: false).ActivationBytes);
}
