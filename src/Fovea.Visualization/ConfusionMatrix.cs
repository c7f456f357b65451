using Fovea.Evaluation;

namespace Fovea.Visualization;

/// <summary>
/// Counts of (true class, predicted class) pairs: row = true class, column = predicted class, as scikit-learn's
/// <c>confusion_matrix</c> lays them out.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;

    /// <summary>Wraps existing counts (copied), <c>[true, predicted]</c>; the matrix must be square.</summary>
    public ConfusionMatrix(int[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int rows = counts.GetLength(0), columns = counts.GetLength(1);
        if (rows != columns || rows == 0)
            throw new ArgumentException($"counts must be a non-empty square matrix; got {rows}x{columns}", nameof(counts));
        for (int t = 0; t < rows; t++)
            for (int p = 0; p < columns; p++)
                if (counts[t, p] < 0)
                    throw new ArgumentException($"counts must be non-negative; got {counts[t, p]} at [{t}, {p}]", nameof(counts));
        _counts = (int[,])counts.Clone();
    }

    /// <summary>Counts each (trueLabels[i], predicted[i]) pair over <paramref name="classCount"/> classes.</summary>
    public static ConfusionMatrix FromLabels(ReadOnlySpan<int> trueLabels, ReadOnlySpan<int> predicted, int classCount)
    {
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), $"classCount must be positive; got {classCount}");
        if (trueLabels.Length != predicted.Length)
            throw new ArgumentException($"predicted must have one entry per true label ({trueLabels.Length}); got {predicted.Length}", nameof(predicted));
        return new ConfusionMatrix(ProbabilityRows.ConfusionCounts(trueLabels, predicted, classCount, nameof(trueLabels)));
    }

    /// <summary>
    /// Counts against the argmax of each row of <paramref name="probabilities"/> (<c>[n, classCount]</c>
    /// row-major), as <c>np.argmax(predictions, axis=1)</c>.
    /// </summary>
    public static ConfusionMatrix FromProbabilities(ReadOnlySpan<int> trueLabels, ReadOnlySpan<float> probabilities, int classCount)
    {
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), $"classCount must be positive; got {classCount}");
        if (probabilities.Length != trueLabels.Length * classCount)
            throw new ArgumentException($"probabilities must hold {trueLabels.Length} rows of {classCount} ({trueLabels.Length * classCount} values); got {probabilities.Length}", nameof(probabilities));
        var predicted = new int[trueLabels.Length];
        for (int i = 0; i < predicted.Length; i++)
            predicted[i] = ImageGrid.ArgMax(probabilities.Slice(i * classCount, classCount));
        return FromLabels(trueLabels, predicted, classCount);
    }

    /// <summary>Classes on each axis: the matrix is <c>ClassCount × ClassCount</c>.</summary>
    public int ClassCount => _counts.GetLength(0);

    /// <summary>How many images of class <paramref name="trueClass"/> were predicted as <paramref name="predictedClass"/>.</summary>
    public int this[int trueClass, int predictedClass] => _counts[trueClass, predictedClass];

    /// <summary>A copy of the counts, <c>[true, predicted]</c>.</summary>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>Images counted: the sum of every cell.</summary>
    public int Total
    {
        get
        {
            int total = 0;
            foreach (int count in _counts) total += count;
            return total;
        }
    }

    /// <summary>Images predicted as their true class: the sum of the diagonal.</summary>
    public int Correct
    {
        get
        {
            int correct = 0;
            for (int c = 0; c < ClassCount; c++) correct += _counts[c, c];
            return correct;
        }
    }

    /// <summary>Share of all images predicted correctly; 0 when there are none.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Number of images whose true class is <paramref name="trueClass"/> (the row sum).</summary>
    public int Support(int trueClass)
    {
        int sum = 0;
        for (int p = 0; p < ClassCount; p++) sum += _counts[trueClass, p];
        return sum;
    }

    /// <summary>
    /// Per class, the share of its images predicted as that class (recall: diagonal over row sum).
    /// NaN for a class with no images, so an empty class is not reported as 0% accurate.
    /// </summary>
    public double[] PerClassAccuracy()
    {
        var accuracy = new double[ClassCount];
        for (int c = 0; c < ClassCount; c++)
        {
            int support = Support(c);
            accuracy[c] = support == 0 ? double.NaN : (double)_counts[c, c] / support;
        }
        return accuracy;
    }
}
