using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Training;

/// <summary>The final evaluation keeps the scores for the run's report and <c>fovea evaluate</c>: they must be exactly
/// what passes of PredictLogits give, without test-time augmentation and with the evaluation's.</summary>
public class EvaluationLogitsTests
{
    [Theory]
    [InlineData(TestTimeAugmentation.None, true)]
    [InlineData(TestTimeAugmentation.MirrorTranslate, true)]
    [InlineData(TestTimeAugmentation.Mirror, false)]
    public void The_kept_scores_are_the_plain_predictions_bit_for_bit(TestTimeAugmentation tta, bool softmax)
    {
        var model = new Sequential(
            new Conv2D(5, (3, 3), padding: Padding.Same, activation: Activation.Relu, inputShape: (9, 9, 3)),
            new MaxPool2D((2, 2)),
            new Flatten(),
            new Dense(4, activation: softmax ? Activation.Softmax : Activation.Linear)) { Seed = 11 };
        model.Compile(new Adam(), new SparseCategoricalCrossentropy(fromLogits: !softmax), ["accuracy"]);
        var random = new Random(3);
        var pixels = new byte[37 * 9 * 9 * 3];
        random.NextBytes(pixels);
        var images = new ImageSet(pixels, 37, 9, 9, 3);
        int[] labels = Enumerable.Range(0, 37).Select(_ => random.Next(4)).ToArray();

        var trainer = new Trainer(model);
        var (result, plain, scores) = trainer.EvaluateKeepingLogits(images, labels, batchSize: 16, tta);

        Assert.Equal(trainer.Evaluate(images, labels, 16, tta), result);
        Assert.Equal(model.PredictLogits(images, batchSize: 10).Data, plain.Data);
        Assert.Equal(model.PredictLogits(images, batchSize: 7, tta).Data, scores.Data);
        Assert.Equal([37, 4], plain.Shape.ToArray());
    }
}
