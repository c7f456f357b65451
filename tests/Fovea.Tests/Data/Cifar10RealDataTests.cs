using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>The official archive, where this machine has it (see <see cref="RealData"/>).</summary>
public sealed class Cifar10RealDataTests
{
    [RealDataFact]
    public void Official_archive_loads_50000_train_and_10000_test_images()
    {
        var data = Cifar10.Load(RealData.Cifar10ArchivePath!);

        Assert.Equal(new Shape(50000, 32, 32, 3), data.Train.Images.Shape);
        Assert.Equal(new Shape(10000, 32, 32, 3), data.Test.Images.Shape);
        Assert.Equal(50000, data.Train.Labels.Length);
        Assert.Equal(10000, data.Test.Labels.Length);
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], data.ClassNames);
        Assert.All(data.Train.Labels.CountBy(l => l), c => Assert.Equal(5000, c.Value));
        Assert.Equal(10, data.Train.Labels.Distinct().Count());
        Assert.All(data.Test.Labels.CountBy(l => l), c => Assert.Equal(1000, c.Value));

        // A limited load is a prefix of the whole one (batch 1 first, though the archive stores it fifth).
        var first = Cifar10.Load(RealData.Cifar10ArchivePath!, trainLimit: 100).Train;
        Assert.Equal(data.Train.Labels[..100], first.Labels);
        Assert.True(data.Train.Images.Pixels.AsSpan(0, 100 * 3072).SequenceEqual(first.Images.Pixels));
    }
}
