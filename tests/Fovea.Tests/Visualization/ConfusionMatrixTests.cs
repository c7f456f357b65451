using Fovea.Visualization;

namespace Fovea.Tests.Visualization;

public class ConfusionMatrixTests
{
    [Fact]
    public void Counts_pairs_by_true_row_and_predicted_column()
    {
        int[] truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 0, 2, 2, 2, 1];
        var matrix = ConfusionMatrix.FromLabels(truth, predicted, classCount: 4);

        Assert.Equal(new[,] { { 2, 1, 0, 0 }, { 1, 1, 0, 0 }, { 0, 1, 3, 0 }, { 0, 0, 0, 0 } }, matrix.ToArray());
        Assert.Equal(9, matrix.Total);
        Assert.Equal(6, matrix.Correct);
        Assert.Equal(6.0 / 9, matrix.Accuracy, 12);
        Assert.Equal(4, matrix.Support(2));
    }

    [Fact]
    public void Per_class_accuracy_is_recall_and_NaN_for_an_empty_class()
    {
        var matrix = ConfusionMatrix.FromLabels([0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 0, 1, 1, 0, 2, 2, 2, 1], 4);
        double[] accuracy = matrix.PerClassAccuracy();
        Assert.Equal(2.0 / 3, accuracy[0], 12);
        Assert.Equal(0.5, accuracy[1], 12);
        Assert.Equal(0.75, accuracy[2], 12);
        Assert.True(double.IsNaN(accuracy[3]));
    }

    [Fact]
    public void From_probabilities_takes_the_argmax_first_on_ties()
    {
        float[] probabilities =
        [
            0.1f, 0.7f, 0.2f,
            0.4f, 0.4f, 0.2f, // tie: class 0, as np.argmax
            0.0f, 0.0f, 1.0f,
        ];
        var matrix = ConfusionMatrix.FromProbabilities([1, 1, 2], probabilities, 3);
        Assert.Equal(new[,] { { 0, 0, 0 }, { 1, 1, 0 }, { 0, 0, 1 } }, matrix.ToArray());
    }

    [Fact]
    public void Wraps_existing_counts_as_a_copy()
    {
        var counts = new[,] { { 5, 1 }, { 2, 7 } };
        var matrix = new ConfusionMatrix(counts);
        counts[0, 0] = 99;
        Assert.Equal(5, matrix[0, 0]);
        matrix.ToArray()[1, 1] = 99;
        Assert.Equal(7, matrix[1, 1]);
        Assert.Equal(12.0 / 15, matrix.Accuracy, 12);
    }

    [Fact]
    public void Errors_name_the_argument_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromLabels([0, 3], [0, 1], 3));
        Assert.Contains("trueLabels[1] must be a class index in [0, 3); got 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromLabels([0, 1], [0, -1], 3));
        Assert.Contains("predicted[1] must be a class index in [0, 3); got -1", e.Message);
        e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromLabels([0, 1], [0], 3));
        Assert.Contains("predicted must have one entry per true label (2); got 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new int[2, 3]));
        Assert.Contains("counts must be a non-empty square matrix; got 2x3", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new[,] { { 1, -1 }, { 0, 0 } }));
        Assert.Contains("counts must be non-negative; got -1 at [0, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromProbabilities([0, 1], new float[5], 3));
        Assert.Contains("probabilities must hold 2 rows of 3 (6 values); got 5", e.Message);
    }

    [Fact]
    public void An_empty_matrix_has_zero_accuracy()
    {
        var matrix = ConfusionMatrix.FromLabels([], [], 10);
        Assert.Equal(0, matrix.Total);
        Assert.Equal(0, matrix.Accuracy);
        Assert.All(matrix.PerClassAccuracy(), a => Assert.True(double.IsNaN(a)));
    }
}
