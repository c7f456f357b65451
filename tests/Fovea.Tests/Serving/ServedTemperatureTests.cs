using Fovea.Data;
using Fovea.Models;
using Fovea.Serving;
using Fovea.Tests.Data;
using Fovea.Zoo;

namespace Fovea.Tests.Serving;

/// <summary>A served model with a temperature answers its calibrated probabilities, as <c>Model.Predict</c> does.</summary>
public class ServedTemperatureTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TheServerAppliesTheModelsTemperature()
    {
        var model = ModelZoo.SeedCnn(seed: 7);
        string plainPath = _temp["plain.safetensors"], calibratedPath = _temp["calibrated.safetensors"];
        model.Save(plainPath, ServingTestModel.ClassNames);
        model.Temperature = 3;
        model.Save(calibratedPath, ServingTestModel.ClassNames);

        var pixels = new byte[4 * 32 * 32 * 3];
        new Random(5).NextBytes(pixels);
        float[] expected = model.Predict(new ImageSet(pixels, 4, 32, 32, 3)).Data;
        float[] served = ServedModel.Load(calibratedPath).Predict(pixels, 4);
        Assert.Equal(expected, served);
        Assert.NotEqual(ServedModel.Load(plainPath).Predict(pixels, 4), served);
    }
}
