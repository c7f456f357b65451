using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Tests.Layers;

public class ZeroPadding2DTests
{
    [Fact]
    public void AsymmetricPaddingGradients() =>
        GradientCheck.Layer(new ZeroPadding2D(3, 2, 1, 0), new Shape(4, 5, 3), batch: 2);

    [Fact]
    public void PadsEachSideWithItsCountAndValue()
    {
        var pad = new ZeroPadding2D(1, 0, 0, 2, value: -7f);
        pad.Build(new Shape(1, 2, 1), new Rng(1));
        pad.Plan(1);
        float[] y = new float[2 * 4];
        pad.Forward(y, [new float[] { 5, 6 }], 1, training: false);
        Assert.Equal([-7f, -7, -7, -7, 5, 6, -7, -7], y);
        Assert.Equal(new Shape(2, 4, 1), pad.OutputShape);
    }

    [Fact]
    public void RoundTripsThroughModelFiles()
    {
        var model = new Sequential(new ZeroPadding2D(3, 2, 3, 2, ZeroPadding2D.MaxPoolFill, inputShape: (5, 5, 2)), new GlobalAveragePooling2D());
        model.Build();
        string path = Path.Combine(Path.GetTempPath(), $"fovea-pad-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Model.Load(path).Model;
            Assert.Equal(model.Layers.Select(l => LayerRegistry.ToJson(l).ToJsonString()), loaded.Layers.Select(l => LayerRegistry.ToJson(l).ToJsonString()));
            Assert.Equal(new Shape(10, 10, 2), loaded.Layers[0].OutputShape);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
