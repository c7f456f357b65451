namespace Fovea.Data;

/// <summary>
/// Changes a gathered training batch in place before the step. Whatever it draws must depend only on the seed, the
/// epoch and the sample indices, so that any thread count and a resumed run see the same pixels.
/// </summary>
public interface IBatchAugmentation
{
    /// <summary>
    /// Augments <paramref name="batch"/> [indices.Length, H, W, C] whose samples are <paramref name="indices"/> of the
    /// training set, in epoch <paramref name="epoch"/> (numbered from 1, as Fit does), for a run seeded with <paramref name="seed"/>.
    /// </summary>
    void Apply(float[] batch, ReadOnlySpan<int> indices, Shape sampleShape, int epoch, long seed);
}
