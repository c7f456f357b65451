using Fovea.Data;

namespace Fovea.Tests.Data;

public sealed class Cifar10TrainLayoutTests
{
    [Fact]
    public void Batches_follow_each_other_and_the_limit_cuts_the_tail()
    {
        var layout = new Cifar10TrainLayout([3, 1, 4, 1, 5], trainLimit: 6, "src");

        Assert.Equal(6, layout.Images);
        Assert.Equal([0, 3, 4, 6, 6], Enumerable.Range(0, 5).Select(layout.Offset));
        Assert.Equal([3, 1, 2, 0, 0], Enumerable.Range(0, 5).Select(layout.Take));
    }

    [Fact]
    public void Uniform_guess_is_declined_when_it_would_not_fit_one_array()
    {
        Assert.Null(Cifar10TrainLayout.TryUniform(300_000, trainLimit: null, "src"));
        Assert.Equal(10, Cifar10TrainLayout.TryUniform(300_000, trainLimit: 10, "src")!.Images);
    }

    [Fact]
    public void Too_many_images_for_one_array_is_a_data_error()
    {
        var ex = Assert.Throws<InvalidDataFileException>(() => new Cifar10TrainLayout([300_000, 300_000, 300_000, 300_000, 300_000], null, "/data/x"));

        Assert.Equal("/data/x: CIFAR-10 training batches hold 1500000 images (4608000000 bytes), more than one array can hold; pass a train limit", ex.Message);
    }
}
