namespace Fovea.Layers;

/// <summary>The activation a layer applies to its output, Keras's <c>activation=</c> argument.</summary>
public enum Activation
{
    Linear,
    Relu,
    Softmax,
}
