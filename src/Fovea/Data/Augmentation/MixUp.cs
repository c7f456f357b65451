using System.Globalization;

namespace Fovea.Data.Augmentation;

/// <summary>
/// MixUp (Zhang et al. 2018) as fast.ai's <c>MixUp</c> callback and torchvision's <c>v2.MixUp</c> apply it to a
/// training batch: each picture becomes λ·itself + (1 − λ)·its partner's, and its target λ·its label + (1 − λ)·the
/// partner's label, with λ ~ Beta(α, α) taken as max(λ, 1 − λ) so that each picture stays the larger part of itself.
/// <para>
/// The batch's samples are paired in their shuffled order (positions 2k and 2k + 1; the last of an odd batch keeps
/// itself). A pair's weight is drawn from (seed, epoch, the pair's first sample) alone and the partner is gathered and
/// augmented as its own picture would be, so a sample's mixed picture is the same whichever process, shard, thread or
/// micro-batch trains it, and on resume.
/// </para>
/// </summary>
public sealed class MixUp
{
    /// <summary>The purpose of the per-pair stream: <c>Rng.For(seed, "mixup", epoch · 2³² + sample)</c>.</summary>
    internal const string Purpose = "mixup";

    /// <summary>MixUp with λ ~ Beta(<paramref name="alpha"/>, <paramref name="alpha"/>): small α mixes little
    /// (fast.ai's default 0.4; 0.2 in the paper's ImageNet runs), 1 is uniform; at most 4, beyond which the sampler's
    /// acceptance rate (1/70 at 4) makes it slow and nearly every pair is an even blend anyway.</summary>
    public MixUp(float alpha = 0.4f)
    {
        if (!(alpha > 0 && alpha <= 4)) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in (0, 4]; got {alpha.ToString(CultureInfo.InvariantCulture)}");
        Alpha = alpha;
    }

    /// <summary>The Beta distribution's parameter α.</summary>
    public float Alpha { get; }

    /// <summary>The batch position whose sample is mixed into position <paramref name="position"/>'s, or the position
    /// itself for the last sample of an odd batch of <paramref name="batch"/>.</summary>
    public static int Partner(int position, int batch) => (position ^ 1) < batch ? position ^ 1 : position;

    /// <summary>
    /// The partner's share 1 − λ (in [0, 0.5]) of the pair whose first sample (the one at the even position) is
    /// <paramref name="firstSample"/>, in <paramref name="epoch"/> (numbered from 1) of a run with <paramref name="seed"/>.
    /// </summary>
    public float PartnerWeight(long seed, int epoch, int firstSample)
    {
        var rng = Rng.For(seed, Purpose, ((long)epoch << 32) + firstSample);
        double lambda = NextBeta(rng, Alpha);
        return (float)Math.Min(lambda, 1 - lambda);
    }

    /// <summary><paramref name="image"/> ← (1 − w)·image + w·<paramref name="partner"/>, with w = <paramref name="partnerWeight"/>.</summary>
    public static void Mix(Span<float> image, ReadOnlySpan<float> partner, float partnerWeight)
    {
        if (partner.Length != image.Length) throw new ArgumentException($"partner must hold {image.Length} values; got {partner.Length}", nameof(partner));
        float own = 1 - partnerWeight;
        for (int i = 0; i < image.Length; i++) image[i] = own * image[i] + partnerWeight * partner[i];
    }

    /// <summary>One line for a run's report.</summary>
    public string Describe() => $"MixUp(alpha={Alpha.ToString("0.###", CultureInfo.InvariantCulture)})";

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>
    /// Beta(α, α) by Jöhnk's method in logarithms (exact for any α; the logs keep u^(1/α) from underflowing when α is
    /// small): accept when u^(1/α) + v^(1/α) ≤ 1 and return the first share of the sum.
    /// </summary>
    private static double NextBeta(Rng rng, double alpha)
    {
        while (true)
        {
            double u = 1 - rng.NextDouble(), v = 1 - rng.NextDouble(); // (0, 1]
            double lx = Math.Log(u) / alpha, ly = Math.Log(v) / alpha, max = Math.Max(lx, ly);
            double sum = max + Math.Log(Math.Exp(lx - max) + Math.Exp(ly - max));
            if (sum <= 0) return Math.Exp(lx - sum);
        }
    }
}
