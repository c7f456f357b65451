using Fovea.Layers;

namespace Fovea.Tests.Layers;

/// <summary>Keras's <c>Normalization</c>: y = (x − mean)/√variance per channel, computed as x·scale + shift.</summary>
public class NormalizationTests
{
    /// <summary>The per-channel factors are tiled over runs of whole pixels; every element must still be exactly
    /// x·scale + shift for its own channel, across the runs' seams and a short last run.</summary>
    [Theory]
    [InlineData(3, 7, 9, 5)]     // 945 floats an image: runs of 1,023 cut images
    [InlineData(5, 13, 11, 3)]
    [InlineData(1100, 1, 2, 2)]  // more channels than a run's target
    public void Forward_is_x_times_scale_plus_shift_per_channel(int channels, int height, int width, int batch)
    {
        var rng = new Rng(7);
        var mean = Enumerable.Range(0, channels).Select(_ => rng.NextSingle()).ToArray();
        var variance = Enumerable.Range(0, channels).Select(_ => 0.01f + rng.NextSingle()).ToArray();
        var layer = new Normalization(mean, variance, inputShape: new Shape(height, width, channels));
        var model = new Fovea.Models.Sequential(layer);
        model.Build();
        int size = height * width * channels;
        var x = Enumerable.Range(0, batch * size).Select(_ => rng.NextSingle() * 4 - 2).ToArray();
        var y = new float[x.Length];
        layer.Forward(y, [x], batch, training: false);
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % channels;
            float scale = 1f / MathF.Sqrt(variance[c]);
            float shift = -mean[c] * scale;
            Assert.Equal(BitConverter.SingleToInt32Bits(x[i] * scale + shift), BitConverter.SingleToInt32Bits(y[i]));
        }
    }

    [Fact]
    public void Gradients() =>
        GradientCheck.Layer(new Normalization([0.5f, 0.2f, -0.1f], [0.3f, 1.5f, 0.8f]), [new Shape(5, 7, 3)], batch: 3, eps: 1e-3f);
}
