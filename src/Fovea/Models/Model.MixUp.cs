using Fovea.Data;
using Fovea.Data.Augmentation;
using Fovea.Losses;

namespace Fovea.Models;

/// <summary>MixUp on gathered training batches: partners gathered and augmented as their own pictures, the pictures
/// blended, and the partner labels and weights the loss blends the targets with.</summary>
public partial class Model
{
    private float[] _partnerImages = [];
    private int[] _partnerSamples = [];
    private int[] _partnerLabels = [];
    private float[] _partnerWeights = [];
    // Samples of the gathered batch that are mixed: 0 outside MixUp steps, so evaluation and plain steps are untouched.
    private int _mixedCount;

    /// <summary>
    /// MixUp applied to each training batch after <see cref="Augmentation"/>, or null for none. It needs sparse
    /// categorical cross-entropy on a softmax output or on logits, whose targets it blends.
    /// </summary>
    public MixUp? MixUp { get; set; }

    /// <summary>
    /// Mixes the <paramref name="count"/> samples gathered into <see cref="InputBuffer"/> from position
    /// <paramref name="first"/> of the step's <paramref name="batch"/> (all its samples, in order) with their partners,
    /// and sets the partner labels the loss uses. Without <see cref="MixUp"/> it only marks the batch as unmixed.
    /// </summary>
    private void MixBatch(DataSource x, int[] y, ReadOnlySpan<int> batch, int first, int count, int epoch)
    {
        _mixedCount = 0;
        if (MixUp is not { } mixUp) return;
        RequireMixableLoss();
        int size = (int)InputShape.Size;
        if (_partnerSamples.Length < count)
            (_partnerSamples, _partnerLabels, _partnerWeights) = (new int[count], new int[count], new float[count]);
        if (_partnerImages.Length < (long)count * size) _partnerImages = new float[count * size];
        for (int j = 0; j < count; j++)
        {
            int position = first + j, partner = MixUp.Partner(position, batch.Length);
            _partnerSamples[j] = batch[partner];
            _partnerLabels[j] = y[batch[partner]];
            _partnerWeights[j] = partner == position ? 0f : mixUp.PartnerWeight(Seed, epoch, batch[position & ~1]);
        }
        var partners = _partnerSamples.AsSpan(0, count);
        x.Gather(_partnerImages, partners);
        Augmentation?.Apply(_partnerImages, partners, InputShape, epoch, Seed);
        for (int j = 0; j < count; j++)
            MixUp.Mix(InputBuffer.AsSpan(j * size, size), _partnerImages.AsSpan(j * size, size), _partnerWeights[j]);
        _mixedCount = count;
    }

    /// <summary>Hands a shard's replica the partner labels and weights of its samples [first, first + count).</summary>
    private void CopyMixTo(Model replica, int first, int count)
    {
        replica._mixedCount = 0;
        if (_mixedCount == 0) return;
        if (replica._partnerLabels.Length < count) (replica._partnerLabels, replica._partnerWeights) = (new int[count], new float[count]);
        _partnerLabels.AsSpan(first, count).CopyTo(replica._partnerLabels);
        _partnerWeights.AsSpan(first, count).CopyTo(replica._partnerWeights);
        replica._mixedCount = count;
    }

    /// <summary>The loss correction of MixUp's blended targets, added to the plain loss of the batch's own labels.</summary>
    private double MixedTargetCorrection(Span<float> gradient, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float scale) =>
        ((SparseCategoricalCrossentropy)Loss!).MixTargets(gradient, logits, labels, _partnerLabels.AsSpan(0, labels.Length),
            _partnerWeights.AsSpan(0, labels.Length), Classes, scale);

    private void RequireMixableLoss()
    {
        if (Loss is SparseCategoricalCrossentropy { FromLogits: true } || (Loss is SparseCategoricalCrossentropy && Plan.LossFused)) return;
        throw new InvalidOperationException($"MixUp blends the targets of sparse categorical cross-entropy on a softmax output or on logits; this model is compiled with {Loss?.Name ?? "no loss"} on a {_nodes[^1].Layer.GetType().Name} output");
    }
}
