using Fovea.Explain;
using Fovea.Models;
using Fovea.Zoo;

namespace Fovea.Tests.Explain;

/// <summary>An ensemble's Grad-CAM weighs every network's last feature map and sums them, rather than explaining its
/// last network alone.</summary>
public class GradCamEnsembleTests
{
    private static Tensor Images(int count, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(new Shape(count, 32, 32, 3));
        for (int i = 0; i < t.Length; i++) t.Data[i] = rng.NextSingle();
        return t;
    }

    [Fact]
    public void TheDefaultMapWeighsEachNetworksLastFeatureMap()
    {
        var ensemble = Ensemble.Combine([ModelZoo.SeedCnn(seed: 1), ModelZoo.SeedCnn(seed: 2), ModelZoo.SeedCnn(seed: 3)]);
        Assert.Equal(["member1_max_pooling2d_1", "member2_max_pooling2d_1", "member3_max_pooling2d_1"], GradCam.DefaultLayers(ensemble));
        var cam = GradCam.Compute(ensemble, Images(3, 4));
        Assert.Equal("max_pooling2d_1 of each of 3 networks", cam.Layer);
        Assert.Equal(new Shape(3, 6, 6), cam.Maps.Shape);
        Assert.All(cam.Maps.Data, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(cam.Maps.Data, v => v == 1f);
        var last = GradCam.Compute(ensemble, Images(3, 4), layer: "member3_max_pooling2d_1");
        Assert.NotEqual(last.Maps.Data, cam.Maps.Data);
        Assert.Equal(last.Classes, cam.Classes);
    }

    /// <summary>Networks with the same weights contribute the same weighted map: the sum, scaled to [0, 1], is any one of them.</summary>
    [Fact]
    public void IdenticalNetworksGiveTheMapOfOne()
    {
        var ensemble = Ensemble.Combine([ModelZoo.SeedCnn(seed: 5), ModelZoo.SeedCnn(seed: 5)]);
        var images = Images(2, 6);
        var both = GradCam.Compute(ensemble, images);
        var one = GradCam.Compute(ensemble, images, layer: "member1_max_pooling2d_1");
        for (int i = 0; i < one.Maps.Length; i++) Assert.Equal(one.Maps.Data[i], both.Maps.Data[i], 5);
    }
}
