using Fovea.Data.Augmentation;
using Fovea.Losses;

namespace Fovea.Tests.Data.Augmentation;

/// <summary>
/// MixUp's pieces: pairs in batch order, weights from Beta(α, α) folded to the partner's smaller share and drawn from
/// (seed, epoch, sample) alone, and blended targets that are cross-entropy against the blended one-hot labels.
/// </summary>
public class MixUpTests
{
    [Theory]
    [InlineData(0, 5, 1)]
    [InlineData(1, 5, 0)]
    [InlineData(3, 4, 2)]
    [InlineData(4, 5, 4)]
    [InlineData(0, 1, 0)]
    public void Samples_pair_in_batch_order_and_the_last_of_an_odd_batch_keeps_itself(int position, int batch, int partner) =>
        Assert.Equal(partner, MixUp.Partner(position, batch));

    [Fact]
    public void Weights_are_the_partners_smaller_share_of_a_beta_draw()
    {
        // α = 1: λ is uniform, so min(λ, 1 − λ) is uniform on [0, 0.5] with mean 0.25 and variance 1/48.
        var uniform = new MixUp(alpha: 1);
        double[] w = Enumerable.Range(0, 20000).Select(i => (double)uniform.PartnerWeight(3, 1, i)).ToArray();
        Assert.All(w, v => Assert.InRange(v, 0, 0.5));
        Assert.InRange(w.Average(), 0.245, 0.255);
        Assert.InRange(w.Count(v => v < 0.125) / (double)w.Length, 0.24, 0.26);
        // α = 0.4 (U-shaped λ): most pairs mix little, E[min(λ, 1 − λ)] ≈ 0.160.
        var mild = new MixUp(alpha: 0.4f);
        double[] m = Enumerable.Range(0, 20000).Select(i => (double)mild.PartnerWeight(3, 1, i)).ToArray();
        Assert.InRange(m.Average(), 0.15, 0.17);
        Assert.True(m.Count(v => v < 0.05) > m.Count(v => v > 0.45), "α < 1 favours weights near 0");
    }

    [Fact]
    public void Weights_depend_on_seed_epoch_and_sample_only()
    {
        var mixUp = new MixUp();
        Assert.Equal(mixUp.PartnerWeight(7, 2, 41), new MixUp().PartnerWeight(7, 2, 41));
        float[] others = [mixUp.PartnerWeight(8, 2, 41), mixUp.PartnerWeight(7, 3, 41), mixUp.PartnerWeight(7, 2, 42)];
        Assert.All(others, w => Assert.NotEqual(mixUp.PartnerWeight(7, 2, 41), w));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(4.5f)]
    [InlineData(float.NaN)]
    public void An_alpha_outside_the_range_is_refused(float alpha)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MixUp(alpha));
        Assert.Contains("alpha must be in (0, 4]", e.Message);
    }

    [Fact]
    public void Mixing_blends_the_pictures_by_the_partners_weight()
    {
        float[] image = [0f, 1f, 0.5f], partner = [1f, 1f, 0f];
        MixUp.Mix(image, partner, 0.25f);
        Assert.Equal([0.25f, 1f, 0.375f], image);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void Blended_targets_are_cross_entropy_against_the_blended_labels(float smoothing)
    {
        const int rows = 5, classes = 4;
        var rng = new Rng(3);
        float[] logits = Enumerable.Range(0, rows * classes).Select(_ => rng.NextSingle() * 6 - 3).ToArray();
        int[] labels = [0, 1, 2, 3, 1], partners = [1, 1, 0, 2, 3];
        float[] weights = [0.3f, 0.4f, 0f, 0.5f, 0.1f];
        var loss = new SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: smoothing);
        var gradient = new float[rows * classes];
        double total = loss.Compute(gradient, logits, labels, classes, scale: 1f);
        total += loss.MixTargets(gradient, logits, labels, partners, weights, classes, scale: 1f);

        double expected = 0;
        for (int i = 0; i < rows; i++)
        {
            var z = logits.AsSpan(i * classes, classes).ToArray();
            double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            for (int k = 0; k < classes; k++)
            {
                double onehot = (k == labels[i] ? 1 - weights[i] : 0) + (k == partners[i] ? weights[i] : 0);
                double target = (1 - smoothing) * onehot + smoothing / classes;
                expected -= target * (z[k] - lse);
                double p = Math.Exp(z[k] - lse);
                Assert.Equal(p - target, gradient[i * classes + k], 1e-5);
            }
        }
        Assert.Equal(expected, total, 1e-4);
    }
}
