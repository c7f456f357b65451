using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// Freezing, as in Keras: a frozen layer (<see cref="Layer.Trainable"/> false) keeps its weights bit for bit through
/// Fit, a frozen BatchNormalization runs in inference mode, and nothing before the first unfrozen layer runs backward.
/// The weight block keeps its layout (optimiser state and checkpoints do not move); the optimiser's spans and the
/// execution plan follow the flags at the next training step, so no new Compile is needed.
/// </summary>
public partial class Model
{
    private long _planTrainability = -1;
    private long _spansTrainability = -1;

    /// <summary>
    /// Freezes every layer up to and including <paramref name="upTo"/>, in the order the layers run, and leaves the
    /// later ones as they are; without a name, freezes every layer.
    /// </summary>
    public void Freeze(string? upTo = null)
    {
        var layers = Layers;
        if (upTo is not null)
        {
            AssignNames();
            if (!layers.Any(l => l.Name == upTo))
                throw new ArgumentException($"the model has no layer '{upTo}'", nameof(upTo));
        }
        foreach (var layer in layers)
        {
            layer.Trainable = false;
            if (layer.Name == upTo) break;
        }
    }

    /// <summary>Makes every layer trainable again (Keras's <c>trainable = True</c> on the whole model).</summary>
    public void Unfreeze()
    {
        foreach (var layer in Layers) layer.Trainable = true;
    }

    /// <summary>Brings the optimiser's spans and the execution plan in line with the layers' flags if any changed
    /// since; called before a training batch is gathered (a new plan has new buffers).</summary>
    internal void SyncTrainability()
    {
        long now = Layer.TrainabilityGeneration;
        if (_spansTrainability != now && Optimizer is not null)
        {
            Optimizer.LaySpans(AllWeights.Where(p => p.Trainable).ToList());
            _spansTrainability = now;
        }
        bool trainabilityMoved = _planTrainability != now;
        bool settledMoved = SettleWeights(force: trainabilityMoved);
        if (!trainabilityMoved)
        {
            if (!settledMoved) return;
            // Only the shards' replicas run backward in a sharded step: make them again (collected first, so that
            // their successors reuse memory already resident). The model's own plan follows when a whole-batch step
            // needs it (EnsureSettledPlan): a batch-sized plan made again would touch every page of its new arrays.
            _trainingReplicas = [];
            _shardWork = null;
            if (!_isReplica) GC.Collect();
            return;
        }
        if (_plan is not null)
        {
            ReleasePlans();
            BuildPlan(_capacity);
        }
        // Training replicas copy the flags when they are made: make them again.
        _trainingReplicas = [];
        _shardGradients = [];
        _shardWork = null;
        _planTrainability = now;
    }

    /// <summary>The settled nodes the current plan was made with.</summary>
    private bool[] _planSettled = [];

    /// <summary>Makes the plan again if weights settled since it was made: before a whole-batch training step gathers its batch.</summary>
    internal void EnsureSettledPlan()
    {
        if (_plan is null || ReferenceEquals(_planSettled, _weightsSettled)) return;
        ReleasePlans();
        BuildPlan(_capacity);
    }

    /// <summary>Nodes whose trainable weights the optimiser will not update again (their group stopped, as
    /// airbench's whitening layer after its first epochs): they run backward only to pass a gradient on to an
    /// earlier layer that still trains, so neither their weights' gradients nor what only those needed are computed.
    /// Training replicas share the array; it is replaced, never changed in place.</summary>
    private bool[] _weightsSettled = [];
    private int _groupsEnded;

    internal bool WeightsSettled(int node) => (uint)node < (uint)_weightsSettled.Length && _weightsSettled[node];

    /// <summary>False computes settled weights' gradients all the same (the tests' reference for the bits).</summary>
    internal bool SkipsSettledBackward { get; set; } = true;

    /// <summary>Whether training steps run <paramref name="layer"/>'s backward: in the shards' replicas' plans when the
    /// last step was sharded, else in the model's own.</summary>
    internal bool RunsBackward(Layer layer)
    {
        int node = _nodes.FindIndex(n => n.Layer == layer);
        if (node < 0) throw new ArgumentException($"layer '{layer.Name}' is not a node of the model", nameof(layer));
        var runs = (_trainingReplicas.Length > 0 ? _trainingReplicas[0] : this).Plan.Buffers.RunsBackward;
        if (runs.Length != _nodes.Count) throw new InvalidOperationException($"the plan has {runs.Length} backward flags for {_nodes.Count} nodes");
        return runs[node];
    }

    /// <summary>Forgets the marks of an earlier optimiser (a new Compile): the plan is made again if any were set.</summary>
    private void ResetSettledWeights()
    {
        _groupsEnded = 0;
        if (!_weightsSettled.Contains(true)) return;
        _weightsSettled = [];
        _planTrainability = -1;
    }

    /// <summary>Marks the nodes whose weights no longer train when the optimiser's count of stopped groups moved;
    /// true when the marks changed, so the plan and the training replicas must be made again.</summary>
    private bool SettleWeights(bool force)
    {
        if (!SkipsSettledBackward || Optimizer is not { } optimizer || (!force && optimizer.GroupsEnded == _groupsEnded)) return false;
        _groupsEnded = optimizer.GroupsEnded;
        var settled = _nodes.Select(n => n.Layer.TrainableParameterCount > 0 && n.Layer.TrainableWeights.All(optimizer.UpdatesEnded)).ToArray();
        if (settled.AsSpan().SequenceEqual(_weightsSettled.Length == settled.Length ? _weightsSettled : new bool[settled.Length])) return false;
        _weightsSettled = settled;
        return true;
    }
}
