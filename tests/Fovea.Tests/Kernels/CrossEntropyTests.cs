using Fovea.Kernels;
using Fovea.Losses;

namespace Fovea.Tests.Kernels;

/// <summary>The cross-entropy from logits, with label smoothing, against its double reference.</summary>
public class CrossEntropyTests
{
    [Theory]
    [InlineData(1, 1, 0f)]
    [InlineData(5, 10, 0.2f)]
    [InlineData(17, 3, 0f)]
    [InlineData(64, 10, 0.2f)]
    [InlineData(3, 1000, 0.1f)]
    [InlineData(4, 7, 0.9f)]
    public void Matches_reference(int batch, int classes, float smoothing)
    {
        Assert.True(NormKernelChecks.CheckCrossEntropy(batch, classes, smoothing, new Random(batch + classes), out string detail), detail);
    }

    [Fact]
    public void Matches_a_hand_computation()
    {
        // z = [1, 2, 3], y = 0, ε = 0.3: lse = 3 + log(e⁻² + e⁻¹ + 1); loss = 0.7·(lse − 1) + 0.3·(lse − 2).
        float[] z = [1, 2, 3];
        var grad = new float[3];
        double loss = new SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: 0.3f).Compute(grad, z, [0], 3, 1f);
        double lse = 3 + Math.Log(Math.Exp(-2) + Math.Exp(-1) + 1);
        Assert.Equal(0.7 * (lse - 1) + 0.3 * (lse - 2), loss, 1e-6);
        Assert.Equal(Math.Exp(1 - lse) - 0.7 - 0.1, grad[0], 1e-6);
        Assert.Equal(Math.Exp(2 - lse) - 0.1, grad[1], 1e-6);
        Assert.Equal(Math.Exp(3 - lse) - 0.1, grad[2], 1e-6);
    }

    [Fact]
    public void Reference_gradient_matches_finite_differences_of_reference_loss()
    {
        const int batch = 2, classes = 4;
        const double h = 1e-6, smoothing = 0.2;
        var rng = new Random(6);
        var z = new double[batch * classes];
        for (int i = 0; i < z.Length; i++) z[i] = rng.NextDouble() * 6 - 3;
        int[] labels = [1, 3];
        var grad = new double[z.Length];
        LabelSmoothedCrossEntropyReference.Compute(grad, z, labels, classes, smoothing, 1);
        for (int i = 0; i < z.Length; i++)
        {
            double saved = z[i];
            z[i] = saved + h;
            double plus = LabelSmoothedCrossEntropyReference.Compute(new double[z.Length], z, labels, classes, smoothing, 1);
            z[i] = saved - h;
            double minus = LabelSmoothedCrossEntropyReference.Compute(new double[z.Length], z, labels, classes, smoothing, 1);
            z[i] = saved;
            Assert.Equal((plus - minus) / (2 * h), grad[i], 1e-7);
        }
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        float[] z = new float[6], g = new float[6];
        var loss = new SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: 0.1f);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(g, z, [0, 3], 3, 1f));
        Assert.Equal("labels", e1.ParamName);
        Assert.Contains("got 3", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseCategoricalCrossentropy(labelSmoothing: 1.5f));
        Assert.Equal("labelSmoothing", e2.ParamName);
    }
}
