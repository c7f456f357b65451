using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>A fact that needs Debian's <c>dataset-fashion-mnist</c> package: reported as skipped where it is not installed.</summary>
public sealed class DebianFashionMnistFactAttribute : FactAttribute
{
    public DebianFashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DebianFolder, "train-images-idx3-ubyte.gz")))
            Skip = $"Fashion-MNIST absent: no {FashionMnist.DebianFolder} (apt-get install dataset-fashion-mnist)";
    }
}

/// <summary>The published files as Debian installs them (recompressed: checked by their content's MD5).</summary>
public sealed class FashionMnistRealDataTests
{
    [DebianFashionMnistFact]
    public void Debian_copy_loads_60000_train_and_10000_test_images()
    {
        var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.Load(FashionMnist.DebianFolder);

        Assert.Equal(new Shape(60000, 28, 28, 1), xTrain.Shape);
        Assert.Equal(new Shape(10000, 28, 28, 1), xTest.Shape);
        Assert.All(yTrain.CountBy(l => l), c => Assert.Equal(6000, c.Value));
        Assert.All(yTest.CountBy(l => l), c => Assert.Equal(1000, c.Value));
        Assert.Equal(10, yTrain.Distinct().Count());
        // The first training image is an ankle boot (label 9), as in every Fashion-MNIST tutorial.
        Assert.Equal(9, yTrain[0]);
        Assert.Equal(0, xTrain[0][0]);
        Assert.Contains(xTrain[0].ToArray(), p => p > 200);
    }
}
