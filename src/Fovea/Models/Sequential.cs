using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// A linear stack of layers, Keras's <c>Sequential</c>: each layer takes the previous one's output. Everything else
/// (Build, Summary, Compile, Predict, Save, and Fit and Evaluate through <c>Fovea.Training</c>) is the
/// <see cref="Model"/>'s.
/// </summary>
public sealed class Sequential : Model
{
    private readonly List<Layer> _layers = [];

    /// <summary>A stack of <paramref name="layers"/>, in order (Keras's <c>Sequential([...])</c>); the first declares the input shape.</summary>
    public Sequential(params Layer[] layers) : base("sequential")
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>A stack of <paramref name="layers"/>, in order.</summary>
    public Sequential(IEnumerable<Layer> layers) : this(layers.ToArray()) { }

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Appends a layer on top of the stack (Keras's <c>model.add</c>).</summary>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (IsBuilt) throw new InvalidOperationException("cannot add layers to a model that is already built");
        if (_layers.Contains(layer)) throw new ArgumentException($"layer '{layer}' is already in this model", nameof(layer));
        if (layer.IsBuilt) throw new ArgumentException($"layer '{layer}' is already built in another model", nameof(layer));
        if (layer.InputCount != 1) throw new ArgumentException($"a Sequential model takes single-input layers; {layer} takes several: use the functional API", nameof(layer));
        _layers.Add(layer);
    }

    private protected override void PrepareGraph(Shape? inputShape)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("the model has no layers");
        var shape = inputShape ?? _layers[0].DeclaredInputShape
            ?? throw new InvalidOperationException("the model's input shape is unknown: give inputShape to the first layer, or call Build(inputShape)");
        DefineChain(shape, _layers);
    }
}
