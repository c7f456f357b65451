using Fovea.Layers;
using Fovea.Models;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>Inference runs a convolution and the max-pool after it chunk by chunk; the answer must be exactly what the
/// layers give one after the other on the whole batch.</summary>
public class InferenceFusionTests
{
    [Theory]
    [InlineData("tutorial", 37)]
    [InlineData("tutorial", 1)]
    [InlineData("airbench94", 5)]
    public void Pooled_convolutions_predict_what_the_layers_compute_one_by_one(string name, int batch)
    {
        var model = (Sequential)ModelZoo.Get(name).Create(new Shape(32, 32, 3), 10, 4);
        var rng = new Rng(9);
        var x = new float[batch * 32 * 32 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();

        float[] predicted = model.Predict(new Tensor(new Shape(batch, 32, 32, 3), x), batchSize: batch).Data;

        float[] value = x;
        foreach (Layer layer in model.Layers)
        {
            var next = new float[batch * layer.OutputShape.Size];
            layer.Forward(next, [value], batch, training: false);
            value = next;
        }
        Assert.Equal(value.Select(BitConverter.SingleToInt32Bits), predicted.Select(BitConverter.SingleToInt32Bits));
    }
}
