using Fovea.Kernels;
using Fovea.Losses;

namespace Fovea.Tests.Optimizers;

public class LabelSmoothingLossTests
{
    [Theory]
    [InlineData(0f, Reduction.SumOverBatchSize)]
    [InlineData(0.2f, Reduction.Sum)]
    public void FromLogitsMatchesTheDefinitionAndItsGradient(float eps, Reduction reduction)
    {
        var loss = new SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: eps, reduction: reduction);
        const int classes = 5, batch = 3;
        var rng = new Rng(4);
        var z = Enumerable.Range(0, batch * classes).Select(_ => 4 * rng.NextSingle() - 2).ToArray();
        int[] labels = [1, 4, 0];
        var grad = new float[z.Length];
        float scale = loss.GradientScale(batch);
        double total = loss.Compute(grad, z, labels, classes, scale);
        double expected = 0;
        for (int i = 0; i < batch; i++)
        {
            var row = z.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray();
            double lse = Math.Log(row.Sum(Math.Exp));
            for (int k = 0; k < classes; k++)
            {
                double target = (k == labels[i] ? 1 - eps : 0) + eps / classes;
                expected -= target * (row[k] - lse);
                double p = Math.Exp(row[k] - lse);
                Assert.Equal((p - target) * scale, grad[i * classes + k], 5);
            }
        }
        Assert.Equal(expected, total, 4);
    }

    [Fact]
    public void FromProbabilitiesMatchesTheFusedPath()
    {
        var plain = new SparseCategoricalCrossentropy(labelSmoothing: 0.1f);
        var logits = new SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: 0.1f);
        float[] z = [0.5f, -1f, 2f, 0.1f, 0.3f, -0.2f];
        var p = new float[6];
        ActivationKernels.Softmax(p, z, 2, 3);
        double a = plain.Compute(new float[6], p, [2, 0], 3, 0.5f), b = logits.Compute(new float[6], z, [2, 0], 3, 0.5f);
        Assert.Equal(b, a, 4);
    }

    [Fact]
    public void LabelSmoothingOutOfRangeIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseCategoricalCrossentropy(labelSmoothing: 1f));
        Assert.Contains("labelSmoothing must be in [0, 1); got 1", e.Message);
    }
}
