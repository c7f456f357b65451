using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Tests.Data;
using Fovea.Training;

namespace Fovea.Tests.Models;

/// <summary>The README's C# example, line for line (on a small synthetic archive and one epoch), so that it keeps compiling and running.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void TheReadmeExampleRuns()
    {
        using var temp = new TempFolder();
        string archive = new FakeCifar10 { TrainCounts = [20, 20, 20, 20, 20], TestCount = 30 }.WriteArchive(temp["cifar-10-binary.tar.gz"]);
        const int epochs = 1; // the README trains for 10

        var ((xTrain, yTrain), (xTest, yTest)) = Cifar10.Load(archive);
        Assert.Equal(new Shape(100, 32, 32, 3), xTrain.Shape);

        var model = new Sequential(
            new Conv2D(filters: 32, kernelSize: (3, 3), activation: Activation.Relu, inputShape: (32, 32, 3)),
            new MaxPool2D(poolSize: (2, 2)),
            new Conv2D(filters: 64, kernelSize: (3, 3), activation: Activation.Relu),
            new MaxPool2D(poolSize: (2, 2)),
            new Flatten(),
            new Dense(64, activation: Activation.Relu),
            new Dense(10, activation: Activation.Softmax));
        model.Summary(TextWriter.Null);

        model.Compile(optimizer: new Adam(learningRate: 1e-3f),
                      loss: new SparseCategoricalCrossentropy(),
                      metrics: ["accuracy"]);

        var history = model.Fit(xTrain, yTrain, batchSize: 64, epochs: epochs, validationData: (xTest, yTest), verbose: 0);
        var (testLoss, testAccuracy) = model.Evaluate(xTest, yTest);
        Tensor predictions = model.Predict(xTest);
        IReadOnlyList<double> valLoss = history["val_loss"];
        model.Save(temp["model.safetensors"]);

        Assert.Equal(167_562, model.ParameterCount);
        Assert.Equal(new Shape(30, 10), predictions.Shape);
        Assert.Equal(testLoss, valLoss[^1], 6);
        Assert.InRange(testAccuracy, 0, 1);
        Assert.True(File.Exists(temp["model.safetensors"]));
    }
}
