namespace Fovea.Layers;

/// <summary>Keras's <c>padding=</c>: <c>Valid</c> uses no padding; <c>Same</c> zero-pads so that the output has the input's size.</summary>
public enum Padding
{
    Valid,
    Same,
}
