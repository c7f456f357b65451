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
        if (_planTrainability == now) return;
        if (_plan is not null)
        {
            ReleasePlans();
            _plan = ExecutionPlan.Build(this, _capacity, _inferenceOnly);
        }
        // Training replicas copy the flags when they are made: make them again.
        _trainingReplicas = [];
        _shardGradients = [];
        _shardWork = null;
        _planTrainability = now;
    }
}
