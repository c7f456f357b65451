using Fovea.Data;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>The tutorial recipe on real CIFAR-10: one epoch on the first 10,000 training images.</summary>
public class RealDataTrainingTests
{
    [RealDataFact]
    public void OneEpochOnTenThousandImagesReaches35Percent()
    {
        var data = Cifar10.Load(RealData.Cifar10ArchivePath!, trainLimit: 10_000);
        var model = ModelZoo.SeedCnn(seed: 0);
        model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy(), ["accuracy"]);
        var history = model.Fit(data.Train.Images, data.Train.Labels, batchSize: 64, epochs: 1, verbose: 0);
        var test = model.Evaluate(data.Test.Images, data.Test.Labels, batchSize: 64);
        Assert.True(test.Accuracy >= 0.35, $"test accuracy {test.Accuracy:F4} after one epoch (train loss {history.Epochs[0].Loss:F4})");
        Assert.True(history.Epochs[0].Loss < 2.2);
    }
}
