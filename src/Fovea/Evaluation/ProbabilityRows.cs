namespace Fovea.Evaluation;

/// <summary>
/// Checks and small functions shared by the evaluation computations: rows of class scores (<c>[N, classes]</c>,
/// row-major) against one label per row.
/// </summary>
internal static class ProbabilityRows
{
    /// <summary>
    /// The smallest probability a logarithm is taken of: a float softmax underflows to exactly 0 for a class far
    /// below the top one, and log 0 = −∞ would make a loss infinite and a recovered logit useless.
    /// </summary>
    public const double Floor = 1e-12;

    /// <summary>The class count of a <c>[N, classes]</c> tensor, after checking its rank and its rows against the labels.</summary>
    public static int Classes(Tensor rows, ReadOnlySpan<int> labels, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        if (rows.Shape.Rank != 2)
            throw new ArgumentException($"{name} must be a [N, classes] tensor; got {rows.Shape}", name);
        int classes = rows.Shape[1];
        Check(rows.Data, classes, labels, name);
        return classes;
    }

    /// <summary>Checks that <paramref name="rows"/> holds one row of <paramref name="classes"/> values per label, and every label is a class.</summary>
    public static void Check(ReadOnlySpan<float> rows, int classes, ReadOnlySpan<int> labels, string name)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"classes must be positive; got {classes}");
        if (labels.Length == 0) throw new ArgumentException("labels must not be empty; got 0 labels", nameof(labels));
        if (rows.Length != (long)labels.Length * classes)
            throw new ArgumentException($"{name} must hold {labels.Length} rows of {classes} classes ({(long)labels.Length * classes} values); got {rows.Length}", name);
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"labels[{i}] must be a class index in [0, {classes}); got {labels[i]}", nameof(labels));
    }

    /// <summary>Index of the largest value; the first one on ties, as NumPy's argmax (and the model's accuracy) takes it.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
            if (row[c] > row[best]) best = c;
        return best;
    }

    /// <summary>−log p, with p floored at <see cref="Floor"/>.</summary>
    public static double NegativeLog(float probability) => -Math.Log(Math.Max(probability, Floor));

    // The confusion matrix's counts, [true, predicted], after checking that every label of both is a class; the
    // callers check that the two have one entry each.
    public static int[,] ConfusionCounts(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted, int classes, string labelsName)
    {
        var counts = new int[classes, classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"{labelsName}[{i}] must be a class index in [0, {classes}); got {labels[i]}", labelsName);
            if ((uint)predicted[i] >= (uint)classes)
                throw new ArgumentException($"predicted[{i}] must be a class index in [0, {classes}); got {predicted[i]}", nameof(predicted));
            counts[labels[i], predicted[i]]++;
        }
        return counts;
    }
}
