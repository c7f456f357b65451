using System.Text.Json.Nodes;
using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Tests.Layers;

/// <summary>Layers rebuild themselves from their configs (Keras's from_config); a user's layer class registers too.</summary>
public class LayerRegistryTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fovea-registry-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    /// <summary>y = factor · x: a user's own layer with a configuration.</summary>
    private sealed class Scale(float factor, string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape), ILayerFactory
    {
        public static string ClassName => "TestScale";
        public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) => new Scale(config.Float("factor"), name, inputShape);

        public float Factor { get; } = factor;
        public override string TypeName => ClassName;
        public override string NameStem => "test_scale";
        public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

        public override void Forward(float[] output, float[] input, in StepContext step)
        {
            for (int i = 0; i < step.Batch * (int)InputShape.Size; i++) output[i] = Factor * input[i];
        }

        public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
        {
            if (inputGrad is null) return;
            for (int i = 0; i < step.Batch * (int)InputShape.Size; i++) inputGrad[i] = Factor * outputGrad[i];
        }

        public override JsonObject GetConfig()
        {
            var config = BaseConfig();
            config["factor"] = Factor;
            return config;
        }
    }

    /// <summary>The same layer, never registered.</summary>
    private sealed class Unregistered(string? name = null, Shape? inputShape = null) : UnaryLayer(name, inputShape)
    {
        public override string TypeName => "TestUnregistered";
        public override string NameStem => "test_unregistered";
        public override Shape ComputeOutputShape(Shape inputShape) => inputShape;
        public override void Forward(float[] output, float[] input, in StepContext step) => input.AsSpan(0, step.Batch * (int)InputShape.Size).CopyTo(output);
        public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step) => outputGrad.AsSpan(0, step.Batch * (int)InputShape.Size).CopyTo(inputGrad);
        public override JsonObject GetConfig() => BaseConfig();
    }

    [Fact]
    public void EveryLibraryLayerIsRegisteredUnderItsClassName()
    {
        foreach (var name in new[] { "Conv2D", "MaxPooling2D", "Dense", "Flatten", "ReLU", "Softmax", "Add", "Concatenate", "GlobalAveragePooling2D", "Rescaling", "Normalization", "BatchNormalization", "GELU", "Dropout" })
            Assert.True(LayerRegistry.IsRegistered(name), name);
    }

    [Fact]
    public void ACopyHasTheSameConfiguration()
    {
        var layer = new Conv2D(4, (3, 3), activation: Activation.Relu, padding: Padding.Same, name: "c", inputShape: (8, 8, 3), strides: (2, 2), useBias: false);
        Assert.Equal(LayerRegistry.ToJson(layer).ToJsonString(), LayerRegistry.ToJson(LayerRegistry.Copy(layer)).ToJsonString());
        var rescaling = new Rescaling(1 / 255f, -0.1f);
        Assert.Equal(rescaling.Scale, ((Rescaling)LayerRegistry.Copy(rescaling)).Scale);
    }

    [Fact]
    public void AUserLayerRegisteredByItsClassSavesAndLoads()
    {
        LayerRegistry.Register<Scale>();
        var model = new Sequential(new Scale(0.5f, inputShape: (2, 2, 1)), new Flatten(), new Dense(2));
        model.Build();
        model.Save(_path);
        var loaded = Model.Load(_path).Model;
        Assert.Equal(0.5f, Assert.IsType<Scale>(loaded.Layers[0]).Factor);
        Assert.Equal(model.Weights.ToArray(), loaded.Weights.ToArray());
    }

    [Fact]
    public void AnUnregisteredLayerCannotBeCopied()
    {
        var error = Assert.Throws<NotSupportedException>(() => LayerRegistry.Copy(new Unregistered(inputShape: new Shape(2))));
        Assert.Contains("TestUnregistered", error.Message);
    }
}
