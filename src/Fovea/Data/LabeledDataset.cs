namespace Fovea.Data;

/// <summary>
/// A labelled image dataset in memory, whatever its source (CIFAR-10, Fashion-MNIST, MNIST): the training and test
/// sets as 8-bit NHWC images with one class label each, and the class names that the labels index.
/// </summary>
public record LabeledDataset(LabeledImages Train, LabeledImages Test, IReadOnlyList<string> ClassNames)
{
    /// <summary>Lets <c>var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.Load()</c> read like Keras's <c>load_data()</c>.</summary>
    public void Deconstruct(out (ImageSet Images, int[] Labels) train, out (ImageSet Images, int[] Labels) test)
    {
        train = (Train.Images, Train.Labels);
        test = (Test.Images, Test.Labels);
    }
}
