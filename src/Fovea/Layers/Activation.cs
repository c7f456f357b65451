namespace Fovea.Layers;

/// <summary>The activation a layer applies to its output, Keras's <c>activation=</c> argument.</summary>
public enum Activation
{
    /// <summary>No activation: the layer's output is its pre-activation (Keras's <c>"linear"</c>).</summary>
    Linear,
    /// <summary>max(0, x), Keras's <c>"relu"</c>; applied by the layer's own kernel, not as a separate pass.</summary>
    Relu,
    /// <summary>Softmax over the last axis, Keras's <c>"softmax"</c>; fused with the cross-entropy loss when training.</summary>
    Softmax,
}
