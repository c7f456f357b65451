namespace Fovea.Layers;

/// <summary>Keras's <c>padding=</c>: <c>Valid</c> uses no padding; <c>Same</c> zero-pads so that the output has the input's size.</summary>
public enum Padding
{
    /// <summary>No padding: the kernel only visits positions inside the input, so the output shrinks.</summary>
    Valid,
    /// <summary>Zero padding, split as TensorFlow does (one more at the bottom/right when odd), so that with stride 1 the output keeps the input's size.</summary>
    Same,
}
