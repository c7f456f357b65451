using Fovea.Layers;
using Fovea.Kernels;

namespace Fovea.Models;

/// <summary>
/// Data-parallel inference: a batch is cut into one slice per worker thread, and each slice runs through a replica
/// of the model on its own thread, every kernel inline. The replicas share the model's weights (no copy) and own
/// their activation buffers and layer scratch. Small layers (the tutorial's 27-deep first convolution, pooling,
/// a Dense at a few rows) no longer wait for each other at a barrier per kernel, which is how ONNX Runtime's
/// two threads came to do twice the work of one. Bit-identical to one thread: every kernel computes each image
/// (each output row of each GEMM) the same way whatever the batch around it.
/// </summary>
public partial class Model
{
    /// <summary>Fewest images a replica takes: below that, one pass with parallel kernels is used.</summary>
    internal const int MinImagesPerReplica = 2;

    private Model[] _replicas = [];
    private bool _replicasUnavailable;
    private bool _isReplica;
    private bool _inferenceOnly;
    private ReplicaWork? _replicaWork;

    /// <summary>
    /// Inference's derived kernels (folded, packed, transformed), one holder per convolution: this model's steps and
    /// its replicas' use the same, so a replica adds activations but no copy of the kernels.
    /// </summary>
    private Dictionary<(int Node, ConvGeometry Geometry), DerivedKernels> _derivedKernels = [];

    /// <summary>The holder of what inference derives from node <paramref name="node"/>'s kernel on <paramref name="geometry"/>.</summary>
    internal DerivedKernels DerivedKernelsFor(int node, ConvGeometry geometry)
    {
        lock (_derivedKernels)
        {
            if (!_derivedKernels.TryGetValue((node, geometry), out var holder)) _derivedKernels[(node, geometry)] = holder = new DerivedKernels();
            return holder;
        }
    }

    /// <summary>While a replica plans its buffers: the arrays its model's idle training step lends it.</summary>
    private BufferArena? _lender;

    /// <summary>Inference on the batch in <see cref="InputBuffer"/> through the replicas, when that applies;
    /// false to run the ordinary pass.</summary>
    private bool TryForwardReplicated(int batch)
    {
        int threads = Engine.Threads;
        if (_isReplica || _replicasUnavailable || threads < 2 || batch < threads * MinImagesPerReplica || _inputs.Count != 1)
            return false;
        if (_replicas.Length != threads && !CreateReplicas(threads)) return false;
        int largest = (batch + _replicas.Length - 1) / _replicas.Length;
        for (int r = 0; r < _replicas.Length; r++)
            if (_replicas[r]._capacity < largest)
            {
                PlanReplicas(largest);
                break;
            }
        var work = _replicaWork ??= new ReplicaWork(this);
        work.Batch = batch;
        WorkerPool.Shared.Run(work, _replicas.Length);
        return true;
    }

    /// <summary>
    /// Plans each replica for slices of up to <paramref name="largest"/> samples, one after another, their arrays lent by this
    /// model's own plan: between training steps its activations and gradients are idle, so evaluation and
    /// test-time augmentation add no buffers of their own. What this model reads or writes while the replicas run
    /// (its input, output and logits) is kept out of the loan.
    /// </summary>
    private void PlanReplicas(int largest)
    {
        var buffers = Plan.Buffers;
        var keep = buffers.Values.Take(_inputs.Count).Append(OutputBuffer).Concat(_nodes[^1].Inputs.Select(v => buffers.Values[v]));
        var arena = BufferArena.Of(buffers, keep);
        foreach (var replica in _replicas)
        {
            replica._lender = arena;
            try
            {
                replica.EnsureCapacity(largest);
            }
            finally
            {
                replica._lender = null;
            }
        }
    }

    /// <summary>
    /// Frees the arrays of the model's step plan (activations, gradients), its inference replicas and what the layers
    /// derived from the weights (packed and transformed kernels); the weights and the optimiser's state stay, and the
    /// next pass plans and derives again. For a program that keeps a trained model while it
    /// trains or runs others (an ensemble's networks, trained one after another).
    /// </summary>
    public void ReleaseMemory()
    {
        // The replicas' layers keep their own derived kernels: they go, and are made again on the next replicated pass.
        (_replicas, _replicaWork) = ([], null);
        _derivedKernels = [];
        foreach (var layer in Layers) layer.ReleaseMemory();
        (_plan, _capacity) = (null, 0);
        if (!_isReplica) GC.Collect();
    }

    /// <summary>
    /// Lets go of this model's plan and of the inference replicas' plans, which borrow its arrays, before a new plan is
    /// allocated (for a larger batch, or new trainability flags): holding both would double the step's memory, since
    /// the replicas kept their loans until they needed a larger batch. The old arrays are collected at once, so that
    /// the new ones take their place instead of adding to them; the replicas plan again on their next pass.
    /// </summary>
    private void ReleasePlans()
    {
        if (_plan is null) return;
        _plan = null;
        foreach (var replica in _replicas) (replica._plan, replica._capacity) = (null, 0);
        if (!_isReplica) GC.Collect();
    }

    private bool CreateReplicas(int count)
    {
        var replicas = new Model[count];
        try
        {
            for (int r = 0; r < count; r++) replicas[r] = Replicate();
        }
        catch (Exception e) when (e is InvalidDataFileException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            // A layer class that is not registered (a user's own Layer subclass): keep the single pass.
            _replicasUnavailable = true;
            return false;
        }
        _replicas = replicas;
        return true;
    }

    /// <summary>A built copy of this model's graph whose parameters are this model's own storage: its layers are
    /// built (their initial values drawn into one scratch) and then pointed at this model's weight and gradient
    /// blocks, so that it holds no weights of its own (five ResNet-18s: 940 MB a replica that <see cref="Build"/>
    /// allocated, in layers' arrays and the model's blocks, to be dropped at once).</summary>
    private Model Replicate()
    {
        var copy = CopyArchitecture();
        copy.PrepareGraph(IsFunctional ? null : InputShape);
        copy.AssignNames();
        var rng = Rng.For(copy.Seed, "init");
        using (Parameter.DrawIntoScratch())
            foreach (var node in copy._nodes)
                node.Layer.Build(node.Inputs.Select(v => copy._valueShapes[v]).ToArray(), rng);
        var mine = AllWeights.ToList();
        var theirs = copy.AllWeights.ToList();
        if (mine.Count != theirs.Count) throw new InvalidOperationException("the copied architecture has different weights");
        for (int i = 0; i < mine.Count; i++) theirs[i].ShareStorageOf(mine[i]);
        copy._weights = _weights;
        copy._gradients = _gradients;
        copy._derivedKernels = _derivedKernels;
        copy._isReplica = true;
        copy._inferenceOnly = true;
        copy.IsBuilt = true;
        return copy;
    }

    /// <summary>Replica r's slice of the batch: input in, output (and logits, when kept) out.</summary>
    private sealed class ReplicaWork(Model model) : IParallelWork
    {
        public int Batch;

        public void Execute(int part)
        {
            int parts = model._replicas.Length;
            int first = (int)((long)Batch * part / parts), count = (int)((long)Batch * (part + 1) / parts) - first;
            var replica = model._replicas[part];
            int inSize = (int)model.InputShape.Size, outSize = (int)model.OutputShape.Size;
            replica.EnsureCapacity(count);
            model.InputBuffer.AsSpan(first * inSize, count * inSize).CopyTo(replica.InputBuffer);
            replica.ForwardPass(count, training: false, wholeBatch: Batch);
            replica.OutputBuffer.AsSpan(0, count * outSize).CopyTo(model.OutputBuffer.AsSpan(first * outSize));
            var logits = model.Logits(Batch);
            if (!logits.IsEmpty) replica.Logits(count).CopyTo(logits[(first * outSize)..]);
        }
    }
}
