using Fovea.Layers;

namespace Fovea.Tests.Layers;

public class LayerGradientTests
{
    [Theory]
    [InlineData(Activation.Linear)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Softmax)]
    public void Dense(Activation activation) =>
        GradientCheck.Layer(new Dense(7, activation), new Shape(5), batch: 3);

    [Theory]
    [InlineData(Activation.Linear, Padding.Valid)]
    [InlineData(Activation.Relu, Padding.Valid)]
    [InlineData(Activation.Linear, Padding.Same)]
    [InlineData(Activation.Relu, Padding.Same)]
    public void Conv2D(Activation activation, Padding padding) =>
        // A small step keeps ReLU's kink out of the differences: a crossing would bend the secant.
        GradientCheck.Layer(new Conv2D(4, (3, 3), activation, padding), new Shape(6, 5, 3), batch: 2, eps: activation == Activation.Relu ? 1e-3f : 1e-2f);

    [Fact]
    public void Conv2DWithEvenKernelAndSamePadding() =>
        GradientCheck.Layer(new Conv2D(3, (2, 4), padding: Padding.Same), new Shape(5, 6, 2), batch: 2);

    [Fact]
    public void MaxPool2D() =>
        // Distinct, well-separated inputs keep every window's maximum away from a tie under ±eps.
        GradientCheck.Layer(new MaxPool2D((2, 2)), new Shape(5, 4, 3), batch: 2, eps: 1e-3f,
            input: rng => rng.NextInt(100000) / 1000f);

    [Fact]
    public void MaxPool2DWithOverlappingWindows() =>
        GradientCheck.Layer(new MaxPool2D((3, 3), strides: (1, 2)), new Shape(5, 7, 2), batch: 2, eps: 1e-3f,
            input: rng => rng.NextInt(100000) / 1000f);

    [Fact]
    public void Flatten() => GradientCheck.Layer(new Flatten(), new Shape(3, 2, 4));

    [Fact]
    public void ReLU() => GradientCheck.Layer(new ReLU(), new Shape(4, 3), eps: 1e-3f);

    [Fact]
    public void Softmax() => GradientCheck.Layer(new Softmax(), new Shape(6), batch: 3);
}
