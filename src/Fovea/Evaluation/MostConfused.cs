namespace Fovea.Evaluation;

/// <summary>
/// The off-diagonal cells of the confusion matrix, largest first, as fast.ai's
/// <c>ClassificationInterpretation.most_confused</c> lists them: which classes the model mistakes for which.
/// </summary>
public static class MostConfused
{
    /// <summary>
    /// Every (true, predicted) pair of different classes counted at least <paramref name="minCount"/> times, by count
    /// descending, equal counts in (true, predicted) class order.
    /// </summary>
    public static IReadOnlyList<ConfusedPair> Find(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted, IReadOnlyList<string> classNames, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int classes = classNames.Count;
        if (classes == 0) throw new ArgumentException("classNames must not be empty", nameof(classNames));
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), $"minCount must be positive; got {minCount}");
        if (predicted.Length != labels.Length)
            throw new ArgumentException($"predicted must have one entry per label ({labels.Length}); got {predicted.Length}", nameof(predicted));
        int[,] counts = ProbabilityRows.ConfusionCounts(labels, predicted, classes, nameof(labels));

        var pairs = new List<ConfusedPair>();
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
                if (t != p && counts[t, p] >= minCount)
                    pairs.Add(new ConfusedPair(t, classNames[t], p, classNames[p], counts[t, p]));
        // Stable: pairs were added in (true, predicted) order, which equal counts keep.
        return pairs.OrderByDescending(pair => pair.Count).ToArray();
    }

    /// <summary><see cref="Find(ReadOnlySpan{int}, ReadOnlySpan{int}, IReadOnlyList{string}, int)"/> with the predicted class of each row of probabilities (the first largest).</summary>
    /// <param name="probabilities">Class probabilities, <c>[N, classes]</c> row-major, classes = <c>classNames.Count</c>.</param>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="classNames">The class names, in label order.</param>
    /// <param name="minCount">Leave out pairs confused fewer times than this.</param>
    public static IReadOnlyList<ConfusedPair> Find(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ProbabilityRows.Check(probabilities, classNames.Count, labels, nameof(probabilities));
        return Find(labels, Predictions(probabilities, classNames.Count), classNames, minCount);
    }

    /// <summary>The predicted class of each row: the first largest value, as accuracy counts it.</summary>
    public static int[] Predictions(ReadOnlySpan<float> probabilities, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"classes must be positive; got {classes}");
        var predicted = new int[probabilities.Length / classes];
        for (int i = 0; i < predicted.Length; i++) predicted[i] = ProbabilityRows.ArgMax(probabilities.Slice(i * classes, classes));
        return predicted;
    }
}
