using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.Layers;
using Fovea.Models;
using Fovea.Onnx;
using Fovea.Zoo;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Fovea.Tests.Onnx;

/// <summary>
/// Exported models run in ONNX Runtime give Fovea's own predictions: the same top-1 class for each of 1,000
/// CIFAR-like pictures and probabilities within 1e-4, for the zoo's models (trained a few steps) and a handmade
/// functional model with every other layer and option the exporter knows.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private const int Images = 1000;

    [Fact]
    public void TutorialModelGivesFoveasPredictions()
    {
        var model = ModelZoo.SeedCnn(seed: 3);
        var (_, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 1);
        OnnxModels.TrainFewSteps(model, pixels, steps: 5, batch: 64, seed: 1);
        Report(OnnxModels.AssertSameAsFovea(model, pixels));
    }

    [Fact]
    public void Airbench94GivesFoveasPredictions()
    {
        var zoo = ModelZoo.Get("airbench94");
        var model = zoo.Create(new Shape(32, 32, 3), 10, 5);
        var (images, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 2);
        zoo.Prepare(model, images);
        OnnxModels.TrainFewSteps(model, pixels, steps: 4, batch: 64, seed: 2);
        var movingMeans = model.AllWeights.Where(p => p.Name == "moving_mean").ToList();
        Assert.NotEmpty(movingMeans);
        Assert.All(movingMeans, p => Assert.Contains(p.Value.ToArray(), v => v != 0));
        Report(OnnxModels.AssertSameAsFovea(model, pixels));
    }

    [Fact]
    public void ResNet9GivesFoveasPredictions()
    {
        var zoo = ModelZoo.Get("resnet9");
        var model = zoo.Create(new Shape(32, 32, 3), 10, 7);
        Assert.True(model.IsFunctional);
        var (images, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 3);
        zoo.Prepare(model, images);
        OnnxModels.TrainFewSteps(model, pixels, steps: 4, batch: 64, seed: 3);
        Report(OnnxModels.AssertSameAsFovea(model, pixels));
    }

    /// <summary>An ensemble's Average is ONNX's Mean of its members' probabilities; with a temperature, Log, Div and Softmax after it.</summary>
    [Fact]
    public void EnsembleGivesFoveasPredictions()
    {
        var (_, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 6);
        var members = new[] { 3L, 4L }.Select(seed =>
        {
            var m = ModelZoo.SeedCnn(seed: seed);
            OnnxModels.TrainFewSteps(m, pixels, steps: 3, batch: 64, seed: (int)seed);
            return (Model)m;
        }).ToList();
        var ensemble = Ensemble.Combine(members);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(ensemble));
        Assert.Single(proto.Graph.Node, n => n.OpType == "Mean");
        Report(OnnxModels.AssertSameAsFovea(ensemble, pixels));
        // A temperature divides the mean's logarithm, softmaxed again.
        ensemble.Temperature = 1.7;
        Report(OnnxModels.AssertSameAsFovea(ensemble, pixels));
    }

    /// <summary>
    /// Odd image sizes; strided convolutions with even kernels and 'same' padding (padded more at the bottom and
    /// right), a rectangular kernel and strides, with and without bias; Concatenate of images and of vectors; Add;
    /// GELU; Dropout; Normalization; BatchNormalization without γ and without β, of images and of vectors;
    /// MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense with relu and without bias, ReLU, Rescaling with an
    /// offset and a Softmax layer. Every bias and statistic is random.
    /// </summary>
    [Fact]
    public void HandmadeFunctionalModelGivesFoveasPredictions()
    {
        var model = HandmadeModel();
        var (_, pixels) = OnnxModels.Pictures(Images, 19, 17, 3, seed: 4);
        Report(OnnxModels.AssertSameAsFovea(model, pixels));
    }

    /// <summary>A model's temperature is a Div before the final softmax: of the Dense's logits (the tutorial's), or
    /// of a Softmax layer's input (the handmade model's); the metadata states it.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATemperatureIsADivisionBeforeTheSoftmax(bool handmade)
    {
        Model model;
        float[] pixels;
        if (handmade)
        {
            model = HandmadeModel();
            (_, pixels) = OnnxModels.Pictures(Images, 19, 17, 3, seed: 4);
        }
        else
        {
            model = ModelZoo.SeedCnn(seed: 3);
            (_, pixels) = OnnxModels.Pictures(Images, 32, 32, 3, seed: 1);
            OnnxModels.TrainFewSteps(model, pixels, steps: 5, batch: 64, seed: 1);
        }
        model.Temperature = 1.7;
        Report(OnnxModels.AssertSameAsFovea(model, pixels));
        var proto = OnnxExporter.ToProto(model, null);
        Assert.Equal("Div", SoftmaxInputProducer(proto).OpType);
        Assert.Equal("1.7", Assert.Single(proto.MetadataProps, p => p.Key == OnnxExporter.TemperatureKey).Value);

        model.Temperature = null;
        var plain = OnnxExporter.ToProto(model, null);
        Assert.NotEqual("Div", SoftmaxInputProducer(plain).OpType);
        Assert.DoesNotContain(plain.MetadataProps, p => p.Key == OnnxExporter.TemperatureKey);
    }

    private static global::Onnx.NodeProto SoftmaxInputProducer(global::Onnx.ModelProto proto)
    {
        var softmax = proto.Graph.Node.Last(n => n.OpType == "Softmax");
        return Assert.Single(proto.Graph.Node, n => n.Output.Contains(softmax.Input[0]));
    }

    private void Report((double MaxDiff, int Classes, double MinMargin) r) =>
        output.WriteLine($"max |Δp| = {r.MaxDiff:G3}; {r.Classes} distinct top-1 classes; smallest top-2 margin {r.MinMargin:G3}");

    internal static Model HandmadeModel()
    {
        var inputs = new Input(new Shape(19, 17, 3));
        var x = new Normalization([0.4f, 0.5f, 0.6f], [0.05f, 0.08f, 0.1f]).Call(inputs);
        var a = new Conv2D(8, (4, 4), padding: Padding.Same, strides: (2, 2)).Call(x);                                   // 10×9×8
        var b = new Conv2D(6, (3, 3), activation: Activation.Relu, padding: Padding.Same, strides: (2, 2), useBias: false).Call(x); // 10×9×6
        var c = new Concatenate().Call(a, b);                                                                             // 10×9×14
        c = new Gelu().Call(c);
        c = new BatchNormalization(center: false).Call(c);
        var d = new Conv2D(14, (2, 2), padding: Padding.Same).Call(c);
        var e = new Add().Call(c, d);
        e = new Dropout(0.3f).Call(e);
        var f = new MaxPool2D((2, 2)).Call(e);                                                                            // 5×4×14
        var g = new Conv2D(10, (3, 2), strides: (1, 2)).Call(f);                                                          // 3×2×10
        var h = new GlobalAveragePooling2D().Call(g);                                                                     // 10
        var k = new Flatten().Call(g);                                                                                    // 60
        k = new Dense(12, activation: Activation.Relu).Call(k);
        k = new Dropout(0.2f).Call(k);
        var m = new Concatenate().Call(h, k);                                                                             // 22
        m = new BatchNormalization(scale: false).Call(m);
        m = new ReLU().Call(m);
        m = new Dense(7, useBias: false).Call(m);
        m = new Rescaling(0.5f, 0.1f).Call(m);
        var output = new Softmax().Call(m);
        var model = new Model(inputs, output, name: "handmade") { Seed = 9 };
        model.Build();
        OnnxModels.RandomizeVectors(model, seed: 9);
        return model;
    }

    /// <summary>A model whose output is its input (Dropout alone) still names its output: an Identity node.</summary>
    [Fact]
    public void PassThroughModelGetsAnIdentityOutput()
    {
        var model = new Sequential(new Dropout(0.5f, inputShape: new Shape(4)));
        float[] pixels = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f];
        Assert.Equal(pixels, OnnxModels.Run(OnnxExporter.ToBytes(model), pixels, model.InputShape));
    }

    [Fact]
    public void WritesOpset17WithNamedInputOutputAndClassNames()
    {
        var model = ModelZoo.SeedCnn(seed: 1);
        string[] names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck \"quoted\" é"];
        byte[] bytes = OnnxExporter.ToBytes(model, names);

        var proto = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(17, Assert.Single(proto.OpsetImport).Version);
        Assert.Equal(8, proto.IrVersion);
        using var session = new InferenceSession(bytes);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("images", input.Key);
        Assert.Equal([-1, 32, 32, 3], input.Value.Dimensions);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("probabilities", output.Key);
        Assert.Equal([-1, 10], output.Value.Dimensions);
        string json = session.ModelMetadata.CustomMetadataMap["class_names"];
        Assert.Equal(names, JsonSerializer.Deserialize<string[]>(json));
    }

    [Fact]
    public void ClassNamesDefaultToIndices()
    {
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(ModelZoo.SeedCnn(seed: 1)));
        var entry = Assert.Single(proto.MetadataProps, p => p.Key == "class_names");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), JsonSerializer.Deserialize<string[]>(entry.Value));
    }

    [Fact]
    public void RefusesClassNamesOfTheWrongCount()
    {
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(ModelZoo.SeedCnn(seed: 1), ["a", "b"]));
        Assert.StartsWith("classNames must hold 10 non-empty names, one per output; got 2", e.Message);
    }

    [Fact]
    public void RefusesALayerWithoutAnOnnxFormByName()
    {
        var model = new Sequential(
            new Conv2D(4, (3, 3), inputShape: new Shape(8, 8, 1)),
            new Doubling(name: "twice"),
            new Flatten(),
            new Dense(3, activation: Activation.Softmax));
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model));
        Assert.StartsWith("layer 'twice' (Doubling) has no ONNX form; export supports Conv2D, Dense, MaxPooling2D", e.Message);
    }

    [Fact]
    public void SaveWritesTheFileAtomically()
    {
        using var temp = new Data.TempFolder();
        var model = ModelZoo.SeedCnn(seed: 2);
        string path = temp["model.onnx"];
        OnnxExporter.Save(model, path);
        Assert.Equal(OnnxExporter.ToBytes(model), File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], temp.Files());
    }

    /// <summary>A layer the exporter does not know: y = 2x.</summary>
    private sealed class Doubling(string? name = null) : UnaryLayer(name, null)
    {
        public override string TypeName => "Doubling";
        public override string NameStem => "doubling";
        public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

        public override void Forward(float[] output, float[] input, in StepContext step)
        {
            for (int i = 0; i < step.Batch * InputShape.Size; i++) output[i] = 2 * input[i];
        }

        public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
        {
            if (inputGrad is null) return;
            for (int i = 0; i < step.Batch * InputShape.Size; i++) inputGrad[i] = 2 * outputGrad[i];
        }

        public override JsonObject GetConfig() => BaseConfig();
    }
}
