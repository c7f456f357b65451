using Fovea.Evaluation;

namespace Fovea.Tests.Evaluation;

public class TopLossesTests
{
    private static readonly string[] Names = ["cat", "dog", "bird"];

    [Fact]
    public void The_highest_losses_come_first_and_ties_go_by_index()
    {
        float[] probabilities =
        [
            0.7f, 0.2f, 0.1f, // 0: true 0, right, loss −log 0.7
            0.1f, 0.8f, 0.1f, // 1: true 2, predicted dog, loss −log 0.1
            0.6f, 0.3f, 0.1f, // 2: true 1, predicted cat, loss −log 0.3
            0.1f, 0.1f, 0.8f, // 3: true 0, predicted bird, loss −log 0.1 (ties with 1)
            0.0f, 1.0f, 0.0f, // 4: true 0, probability 0: loss at the floor
        ];
        int[] labels = [0, 2, 1, 0, 0];
        IReadOnlyList<TopLoss> top = TopLosses.Find(probabilities, 3, labels, k: 4);

        Assert.Equal([4, 1, 3, 2], top.Select(t => t.Index));
        Assert.Equal(-Math.Log(1e-12), top[0].Loss, 9);
        Assert.Equal(new TopLoss(1, 1, 0.8f, 2, 0.1f, -Math.Log(0.1f)), top[1]);
        Assert.Equal((2, 0.8f, 0), (top[2].PredictedClass, top[2].Probability, top[2].TrueClass));
        Assert.Equal(-Math.Log(0.3f), top[3].Loss, 12);

        var all = TopLosses.Find(new Tensor(new Shape(5, 3), probabilities), labels, k: 100);
        Assert.Equal(5, all.Count);
        Assert.Equal(0, all[^1].Index);
    }

    [Fact]
    public void Most_confused_pairs_by_count_then_class_order()
    {
        int[] labels =    [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
        int[] predicted = [1, 1, 0, 0, 0, 1, 0, 1, 2, 2];
        IReadOnlyList<ConfusedPair> pairs = MostConfused.Find(labels, predicted, Names);
        Assert.Equal(
            [new ConfusedPair(0, "cat", 1, "dog", 2), new ConfusedPair(1, "dog", 0, "cat", 2), new ConfusedPair(2, "bird", 0, "cat", 1), new ConfusedPair(2, "bird", 1, "dog", 1)],
            pairs);
        Assert.Equal(2, MostConfused.Find(labels, predicted, Names, minCount: 2).Count);
        Assert.Empty(MostConfused.Find(labels, labels, Names));
    }

    [Fact]
    public void Most_confused_from_probabilities_uses_the_first_largest_class()
    {
        float[] probabilities = [0.4f, 0.4f, 0.2f, 0.1f, 0.1f, 0.8f];
        Assert.Equal([new ConfusedPair(1, "dog", 0, "cat", 1), new ConfusedPair(1, "dog", 2, "bird", 1)],
            MostConfused.Find(probabilities, [1, 1], Names));
    }

    [Fact]
    public void Bad_arguments_are_refused_with_the_values()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => TopLosses.Find(new float[3], 3, [0], k: 0));
        Assert.Contains("k must be positive; got 0", range.Message);
        var e = Assert.Throws<ArgumentException>(() => MostConfused.Find([0, 1], [0], Names));
        Assert.Contains("predicted must have one entry per label (2); got 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => MostConfused.Find([0, 3], [0, 1], Names));
        Assert.Contains("labels[1] must be a class index in [0, 3); got 3", e.Message);
    }
}
