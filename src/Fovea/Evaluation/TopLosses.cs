namespace Fovea.Evaluation;

/// <summary>
/// The samples with the highest loss, as fast.ai's <c>ClassificationInterpretation.top_losses</c> finds them: the
/// pictures to look at first, for mislabelled data or classes the model cannot tell apart.
/// </summary>
public static class TopLosses
{
    /// <inheritdoc cref="Find(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>
    public static IReadOnlyList<TopLoss> Find(Tensor probabilities, int[] labels, int k)
    {
        int classes = ProbabilityRows.Classes(probabilities, labels, nameof(probabilities));
        return Find(probabilities.Data, classes, labels, k);
    }

    /// <summary>
    /// The <paramref name="k"/> samples (all, if fewer) with the highest cross-entropy −log p[label], highest first;
    /// equal losses in index order, so the list is the same on every run.
    /// </summary>
    /// <param name="probabilities">Class probabilities, <c>[N, classes]</c> row-major.</param>
    /// <param name="classes">Number of classes, the row length.</param>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="k">How many samples to return.</param>
    public static IReadOnlyList<TopLoss> Find(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"k must be positive; got {k}");
        ProbabilityRows.Check(probabilities, classes, labels, nameof(probabilities));
        var losses = new double[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            losses[i] = ProbabilityRows.NegativeLog(probabilities[i * classes + labels[i]]);

        int[] order = Enumerable.Range(0, labels.Length).ToArray();
        // A total order (loss descending, then index), so the unstable sort still gives one answer.
        Array.Sort(order, (a, b) => losses[a] != losses[b] ? losses[b].CompareTo(losses[a]) : a.CompareTo(b));

        var top = new TopLoss[Math.Min(k, labels.Length)];
        for (int j = 0; j < top.Length; j++)
        {
            int i = order[j];
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            int predicted = ProbabilityRows.ArgMax(row);
            top[j] = new TopLoss(i, predicted, row[predicted], labels[i], row[labels[i]], losses[i]);
        }
        return top;
    }
}
