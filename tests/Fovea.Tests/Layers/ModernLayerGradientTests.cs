using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Tests.Layers;

public class ModernLayerGradientTests
{
    [Fact]
    public void BatchNormalizationGradients() =>
        GradientCheck.Layer(new BatchNormalization(momentum: 0.6f, epsilon: 1e-5f), [new Shape(3, 2, 5)], batch: 3, eps: 1e-3f);

    [Fact]
    public void BatchNormalizationWithoutScaleGradients() =>
        GradientCheck.Layer(new BatchNormalization(scale: false), [new Shape(2, 3, 4)], batch: 2, eps: 1e-3f);

    [Fact]
    public void GeluGradients() => GradientCheck.Layer(new Gelu(), new Shape(2, 3, 5), batch: 2, input: r => 6 * r.NextSingle() - 3);

    [Fact]
    public void StridedConvolutionGradients() =>
        GradientCheck.Layer(new Conv2D(4, (3, 3), padding: Padding.Same, strides: (2, 2)), new Shape(7, 6, 3), batch: 2);

    [Fact]
    public void EvenKernelSamePaddingWithoutBiasGradients() =>
        GradientCheck.Layer(new Conv2D(3, (2, 2), Activation.Relu, Padding.Same, useBias: false), new Shape(5, 4, 2), batch: 2);

    [Fact]
    public void BatchNormalizationUsesBatchStatisticsInTrainingAndMovingOnesAtInference()
    {
        var bn = new BatchNormalization(momentum: 0.5f, epsilon: 1e-6f, center: false, scale: false);
        bn.Build(new Shape(1), new Rng(1));
        bn.Plan(4);
        float[] x = [1, 2, 3, 6], y = new float[4];
        bn.Forward(y, [x], 4, training: true);
        // mean 3, biased variance (4 + 1 + 0 + 9)/4 = 3.5
        Assert.Equal(-2 / MathF.Sqrt(3.5f), y[0], 4);
        Assert.Equal(1.5f, bn.Weights.Single(w => w.Name == "moving_mean").Value[0], 5);
        Assert.Equal(2.25f, bn.Weights.Single(w => w.Name == "moving_variance").Value[0], 5);
        bn.Forward(y, [x], 4, training: false);
        Assert.Equal((1 - 1.5f) / MathF.Sqrt(2.25f + 1e-6f), y[0], 4);
        Assert.Equal(0, bn.TrainableParameterCount);
        Assert.Equal(2, bn.ParameterCount);
    }

    [Fact]
    public void NewLayersRoundTripThroughModelFiles()
    {
        var model = new Sequential(
            new Normalization([0.5f, 0.4f, 0.3f], [0.06f, 0.06f, 0.07f], inputShape: (8, 8, 3)),
            new Conv2D(6, (2, 2), padding: Padding.Same, strides: (2, 2), useBias: false),
            new BatchNormalization(momentum: 0.6f, epsilon: 1e-12f, scale: false),
            new Gelu(),
            new Dropout(0.25f),
            new GlobalAveragePooling2D(),
            new Dense(4),
            new Rescaling(1f / 9),
            new Softmax());
        model.Build();
        string path = Path.Combine(Path.GetTempPath(), $"fovea-layers-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Model.Load(path).Model;
            Assert.Equal(model.Layers.Select(l => LayerRegistry.ToJson(l).ToJsonString()), loaded.Layers.Select(l => LayerRegistry.ToJson(l).ToJsonString()));
            Assert.Equal(model.Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Contains("Non-trainable params: 18", model.SummaryText());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
