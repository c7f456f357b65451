namespace Fovea.Data;

/// <summary>CIFAR-10 loaded in memory: 50,000 training and 10,000 test images, 32x32x3, and the 10 class names.</summary>
public sealed record Cifar10Dataset(LabeledImages Train, LabeledImages Test, IReadOnlyList<string> ClassNames)
{
    /// <summary>Lets <c>var ((xTrain, yTrain), (xTest, yTest)) = Cifar10.Load(path)</c> read like Keras's <c>load_data()</c>.</summary>
    public void Deconstruct(out (ImageSet Images, int[] Labels) train, out (ImageSet Images, int[] Labels) test)
    {
        train = (Train.Images, Train.Labels);
        test = (Test.Images, Test.Labels);
    }
}
