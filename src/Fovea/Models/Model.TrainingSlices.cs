using System.Numerics.Tensors;
using Fovea.Kernels;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Data-parallel training steps: when every layer treats its samples on its own (no BatchNormalization, no Dropout),
/// a batch is trained as slices of <see cref="SliceImages"/> or more samples, each through its own replica of the
/// model on one worker thread with every kernel inline, and the replicas' gradients are summed in slice order before
/// the optimiser's step. Small layers then stop waiting for each other at a barrier per kernel (the tutorial CNN's
/// first convolution, pooling and Dense layers barely gained from a second thread). The slices depend on the batch
/// size only, so the weights are the same bit for bit on one thread or two; they differ from a whole-batch step in
/// the rounding of the gradient sums.
/// </summary>
public partial class Model
{
    /// <summary>Fewest samples in a training slice, and the most slices.</summary>
    internal const int SliceImages = 32, MaxSlices = 8;

    /// <summary>Whether training may use slices (tests compare with whole-batch steps).</summary>
    internal bool TrainInSlices { get; set; } = true;

    private Model[] _trainingReplicas = [];
    private bool? _slicesPossible;
    private SliceWork? _sliceWork;
    private GradientSum? _gradientSum;

    /// <summary>How many slices a training batch is cut into: 1 means a whole-batch step.</summary>
    internal int TrainingSlices(int batch)
    {
        _slicesPossible ??= !_isReplica && _inputs.Count == 1 && _nodes.All(n => n.Layer.IndependentSamplesInTraining);
        return TrainInSlices && _slicesPossible.Value ? Math.Clamp(batch / SliceImages, 1, MaxSlices) : 1;
    }

    private bool TryTrainStepInSlices(int batch, IStepObserver? observer, out (double LossSum, int Correct) result)
    {
        result = default;
        int slices = TrainingSlices(batch);
        if (slices < 2) return false;
        if (_trainingReplicas.Length < slices && !CreateTrainingReplicas(slices)) return false;
        var work = _sliceWork ??= new SliceWork(this);
        observer?.Sliced(slices, batch / slices);
        work.Start(batch, slices, observer);
        WorkerPool.Shared.Run(work, slices);
        // Gradients and losses summed in slice order, whichever thread computed each; the gradient block in chunks
        // across the pool, each element summed in the same order.
        var sum = _gradientSum ??= new GradientSum(this);
        sum.Slices = slices;
        WorkerPool.Shared.Run(sum, GradientSum.Chunks);
        observer?.PartEnded(StepPart.GradientSum);
        double loss = work.Loss[0];
        int correct = work.Correct[0];
        for (int s = 1; s < slices; s++)
        {
            loss += work.Loss[s];
            correct += work.Correct[s];
        }
        Optimizer!.Step(_weights, _gradients);
        Parameter.MarkChanged();
        observer?.PartEnded(StepPart.Optimizer);
        result = (loss, correct);
        return true;
    }

    private bool CreateTrainingReplicas(int count)
    {
        var replicas = new Model[count];
        try
        {
            for (int r = 0; r < count; r++)
            {
                if (r < _trainingReplicas.Length) { replicas[r] = _trainingReplicas[r]; continue; }
                var copy = CopyArchitecture();
                copy.Build(IsFunctional ? null : InputShape);
                var mine = AllWeights.ToList();
                var theirs = copy.AllWeights.ToList();
                // Values shared (the optimiser's step is seen by every replica), gradients each its own.
                for (int i = 0; i < mine.Count; i++) theirs[i].ShareValuesOf(mine[i]);
                copy._weights = _weights;
                copy.Loss = Loss;
                copy.Seed = Seed;
                copy._isReplica = true;
                replicas[r] = copy;
            }
        }
        catch (Exception e) when (e is InvalidDataFileException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            _slicesPossible = false;
            return false;
        }
        _trainingReplicas = replicas;
        return true;
    }

    /// <summary>Chunk c of the gradient block: slice 0's gradients plus each later slice's, in slice order.</summary>
    private sealed class GradientSum(Model model) : IParallelWork
    {
        public const int Chunks = 8;
        public int Slices;

        public void Execute(int chunk)
        {
            int n = model._gradients.Length, start = (int)((long)n * chunk / Chunks), end = (int)((long)n * (chunk + 1) / Chunks);
            var sum = model._gradients.AsSpan(start, end - start);
            model._trainingReplicas[0]._gradients.AsSpan(start, end - start).CopyTo(sum);
            for (int s = 1; s < Slices; s++)
                TensorPrimitives.Add(sum, model._trainingReplicas[s]._gradients.AsSpan(start, end - start), sum);
        }
    }

    /// <summary>Slice s of the gathered batch through replica s: forward, loss reduced over the whole batch, backward;
    /// the first slice's parts reported to the step's observer, if any.</summary>
    private sealed class SliceWork(Model model) : IParallelWork
    {
        private int _batch, _slices;
        private IStepObserver? _observer;
        public double[] Loss = [];
        public int[] Correct = [];

        public void Start(int batch, int slices, IStepObserver? observer)
        {
            (_batch, _slices, _observer) = (batch, slices, observer);
            if (Loss.Length < slices) (Loss, Correct) = (new double[slices], new int[slices]);
        }

        public void Execute(int slice)
        {
            int first = (int)((long)_batch * slice / _slices), count = (int)((long)_batch * (slice + 1) / _slices) - first;
            var replica = model._trainingReplicas[slice];
            int inSize = (int)model.InputShape.Size;
            replica.EnsureCapacity(count);
            model.InputBuffer.AsSpan(first * inSize, count * inSize).CopyTo(replica.InputBuffer);
            model._batchLabels.AsSpan(first, count).CopyTo(replica._batchLabels);
            var observer = slice == 0 ? _observer : null;
            Array.Clear(replica._gradients);
            observer?.PartEnded(StepPart.ZeroGradients);
            replica.ForwardPass(count, training: true, observer: observer);
            Loss[slice] = replica.LossAndGradient(count, withGradient: true, reducedOver: _batch);
            Correct[slice] = replica.CountCorrect(count);
            observer?.PartEnded(StepPart.Loss);
            replica.BackwardPass(count, observer);
        }
    }
}
