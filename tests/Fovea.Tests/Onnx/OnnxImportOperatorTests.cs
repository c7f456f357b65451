using Onnx;
using Fovea.Layers;
using static Fovea.Tests.Onnx.OnnxTestGraph;

namespace Fovea.Tests.Onnx;

/// <summary>Each supported operator in a small graph written here, imported and held against ONNX Runtime.</summary>
public class OnnxImportOperatorTests
{
    /// <summary>Conv (weights [F, C, kh, kw]) → BatchNormalization → Relu, the stem of an ImageNet ResNet.</summary>
    private static string ConvBnRelu(OnnxTestGraph g, string x, int cin, int filters, int k, params AttributeProto[] attributes)
    {
        string y = g.Node("Conv", [x, g.Weight([filters, cin, k, k]), g.Weight([filters])], [Ints("kernel_shape", k, k), .. attributes]);
        y = g.Node("BatchNormalization", [y, g.Positive(filters), g.Weight([filters]), g.Weight([filters]), g.Positive(filters)], Float("epsilon", 1e-5f));
        return g.Node("Relu", [y]);
    }

    [Fact]
    public void ResNetStemWithAsymmetricPadsAndAPaddedMaxPool()
    {
        var g = new OnnxTestGraph { Opset = 8 };
        string x = g.Input("x", "N", 3, 20, 20);
        string y = ConvBnRelu(g, x, 3, 8, 7, Ints("strides", 2, 2), Ints("pads", 3, 3, 2, 2));
        y = g.Node("MaxPool", [y], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 0, 0));
        y = g.Node("AveragePool", [y], Ints("kernel_shape", 5, 5));
        g.Output(y, "N", 8, 1, 1);
        var (model, _) = ImportComparison.Check(g.Bytes(), [3, 20, 20]);
        Assert.Contains(model.Layers, l => l is ZeroPadding2D { Top: 3, Bottom: 2, Left: 3, Right: 2 });
        Assert.Contains(model.Layers, l => l is GlobalAveragePooling2D);
        Assert.Contains(model.Layers, l => l is BatchNormalization);
        // Exported again (ZeroPadding2D as Pad), it runs in ONNX Runtime and imports once more.
        ImportComparison.Check(Fovea.Onnx.OnnxExporter.ToBytes(model), [20, 20, 3], channelsLast: true);
    }

    [Fact]
    public void ImportedModelTrainsWithItsBatchNormalization()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 3, 8, 8);
        string y = ConvBnRelu(g, x, 3, 4, 3, Ints("pads", 1, 1, 1, 1));
        y = g.Node("Flatten", [g.Node("GlobalAveragePool", [y])]);
        g.Output(g.Node("Softmax", [g.Node("Gemm", [y, g.Weight([4, 3])])]), "N", 3);
        var model = Fovea.Onnx.OnnxImporter.Load(g.Bytes(), "train.onnx");
        var bn = model.Layers.OfType<BatchNormalization>().Single();
        var before = bn.Weights.Single(w => w.Name == "moving_mean").Value.ToArray();
        Assert.Equal(2, bn.TrainableWeights.Count());
        model.Compile(new Fovea.Optimizers.Adam(1e-2f), new Fovea.Losses.SparseCategoricalCrossentropy());
        var (_, pixels) = OnnxModels.Pictures(8, 8, 8, 3, seed: 11);
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        double first = model.TrainOnBatch(pixels, labels), last = first;
        for (int step = 0; step < 20; step++) last = model.TrainOnBatch(pixels, labels);
        Assert.True(last < first, $"loss {first} → {last}");
        Assert.NotEqual(before, bn.Weights.Single(w => w.Name == "moving_mean").Value.ToArray());
    }

    [Fact]
    public void OpenImageSizeFixedByTheCaller()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 3, "H", "W");
        string y = ConvBnRelu(g, x, 3, 4, 3, Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2));
        g.Output(g.Node("GlobalAveragePool", [y]), "N", 4, 1, 1);
        var (model, _) = ImportComparison.Check(g.Bytes(), [3, 7, 9], inputShape: new Shape(7, 9, 3));
        Assert.Equal(new Shape(7, 9, 3), model.InputShape);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(17)]
    public void ConstantPadOfHeightAndWidth(int opset)
    {
        var g = new OnnxTestGraph { Opset = opset };
        string x = g.Input("x", "N", 2, 5, 4);
        long[] pads = [0, 0, 2, 0, 0, 0, 1, 3];
        string y = opset < 11 ? g.Node("Pad", [x], Ints("pads", pads), Float("value", -0.75f))
            : g.Node("Pad", [x, g.Longs(pads), g.Weight([], [-0.75f])]);
        y = g.Node("Conv", [y, g.Weight([3, 2, 2, 2])], Ints("kernel_shape", 2, 2));
        g.Output(y, "N", 3, 7, 6);
        var (model, _) = ImportComparison.Check(g.Bytes(), [2, 5, 4]);
        Assert.Contains(model.Layers, l => l is ZeroPadding2D { Top: 2, Bottom: 1, Left: 0, Right: 3, Value: -0.75f });
    }

    [Theory]
    [InlineData("NOTSET", 1, 1, 1, 1, 1)]   // Keras's 'same' at stride 1
    [InlineData("NOTSET", 1, 1, 1, 1, 2)]   // more at the top than 'same' puts: padding + 'valid'
    [InlineData("NOTSET", 0, 2, 1, 0, 1)]
    [InlineData("SAME_UPPER", 0, 0, 0, 0, 2)]
    [InlineData("SAME_LOWER", 0, 0, 0, 0, 2)]
    [InlineData("VALID", 0, 0, 0, 0, 2)]
    public void ConvolutionPadsAndStrides(string autoPad, int top, int left, int bottom, int right, int stride)
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 4, 9, 8);
        var attributes = new List<AttributeProto> { Ints("kernel_shape", 3, 3), Ints("strides", stride, stride), Str("auto_pad", autoPad) };
        if (autoPad == "NOTSET") attributes.Add(Ints("pads", top, left, bottom, right));
        string y = g.Node("Conv", [x, g.Weight([5, 4, 3, 3]), g.Weight([5])], [.. attributes]);
        y = g.Node("Relu", [y]);
        g.Output(y, "N", 5, "H", "W");
        var (model, _) = ImportComparison.Check(g.Bytes(), [4, 9, 8]);
        Assert.Equal(Activation.Relu, model.Layers.OfType<Conv2D>().Single().Activation);
    }

    [Fact]
    public void MaxPoolCeilModeAndWholeMapAveragePool()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 3, 10, 9);
        string y = g.Node("MaxPool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        y = g.Node("AveragePool", [y], Ints("kernel_shape", 5, 4));
        y = g.Node("Flatten", [y]);
        g.Output(y, "N", 3);
        ImportComparison.Check(g.Bytes(), [3, 10, 9]);
    }

    [Theory]
    [InlineData(false, 1f, 1f)]
    [InlineData(true, 0.5f, 2f)]
    public void FlattenedChannelsFirstMapIntoGemm(bool transB, float alpha, float beta)
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 3, 4, 5);
        string y = g.Node("Conv", [x, g.Weight([6, 3, 1, 1])], Ints("kernel_shape", 1, 1));
        y = g.Node("Flatten", [y], Int("axis", 1));
        y = g.Node("BatchNormalization", [y, g.Positive(120), g.Weight([120]), g.Weight([120]), g.Positive(120)]);
        string w = transB ? g.Weight([7, 120]) : g.Weight([120, 7]);
        y = g.Node("Gemm", [y, w, g.Weight([7])], Int("transB", transB ? 1 : 0), Float("alpha", alpha), Float("beta", beta));
        y = g.Node("Softmax", [y], Int("axis", 1));
        g.Output(y, "N", 7);
        var (model, _) = ImportComparison.Check(g.Bytes(), [3, 4, 5]);
        Assert.Equal(Activation.Softmax, model.Layers.OfType<Dense>().Single().Activation);
    }

    [Fact]
    public void ReshapeToBatchByFeaturesThenMatMulAdd()
    {
        var g = new OnnxTestGraph { Opset = 13 };
        string x = g.Input("x", "N", 2, 3, 3);
        string y = g.Node("Relu", [x]);
        y = g.Node("Reshape", [y, g.Longs(0, -1)]);
        y = g.Node("MatMul", [y, g.Weight([18, 4])]);
        y = g.Node("Add", [y, g.Weight([4])]);
        y = g.Node("Clip", [y, g.Weight([], [0f])]);
        g.Output(y, "N", 4);
        var (model, _) = ImportComparison.Check(g.Bytes(), [2, 3, 3]);
        Assert.Equal(Activation.Relu, model.Layers.OfType<Dense>().Single().Activation);
    }

    [Fact]
    public void ConstantArithmeticPerChannelAndScalar()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 3, 6, 6);
        string y = g.Node("Sub", [x, g.Weight([1, 3, 1, 1])]);
        y = g.Node("Div", [y, g.Positive(3, 1, 1)]);
        y = g.Node("Mul", [y, g.Weight([], [1.5f])]);
        y = g.Node("Add", [y, g.Weight([1], [0.25f])]);
        y = g.Node("Sub", [g.Weight([], [2f]), y]);
        y = g.Node("Mul", [g.Positive(3, 1, 1), y]);
        y = g.Node("Conv", [y, g.Weight([4, 3, 3, 3])], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1));
        g.Output(y, "N", 4, 6, 6);
        ImportComparison.Check(g.Bytes(), [3, 6, 6]);
    }

    [Fact]
    public void ResidualAddSumConcatIdentityAndDropout()
    {
        var g = new OnnxTestGraph { Opset = 12 };
        string x = g.Input("x", "N", 4, 6, 6);
        string a = ConvBnRelu(g, x, 4, 4, 3, Ints("pads", 1, 1, 1, 1));
        string b = g.Node("Conv", [a, g.Weight([4, 4, 3, 3])], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1));
        string sum = g.Node("Add", [x, b]);
        string three = g.Node("Sum", [sum, a, g.Node("Identity", [x])]);
        string cat = g.Node("Concat", [three, g.Node("Dropout", [a])], Int("axis", 1));
        string pooled = g.Node("GlobalAveragePool", [cat]);
        g.Output(pooled, "N", 8, 1, 1);
        ImportComparison.Check(g.Bytes(), [4, 6, 6]);
    }

    [Fact]
    public void ChannelsLastGraphWithTransposes()
    {
        var g = new OnnxTestGraph();
        string x = g.Input("x", "N", 5, 5, 2);
        string y = g.Node("Transpose", [x], Ints("perm", 0, 3, 1, 2));
        y = g.Node("Conv", [y, g.Weight([3, 2, 2, 2]), g.Weight([3])], Ints("kernel_shape", 2, 2));
        y = g.Node("Transpose", [y], Ints("perm", 0, 2, 3, 1));
        y = g.Node("Softmax", [y], Int("axis", -1));
        y = g.Node("Flatten", [y]);
        y = g.Node("Gemm", [y, g.Weight([48, 3])]);
        g.Output(y, "N", 3);
        var (model, _) = ImportComparison.Check(g.Bytes(), [5, 5, 2], channelsLast: true);
        Assert.Equal(new Shape(5, 5, 2), model.InputShape);
    }

    [Fact]
    public void GeluWrittenOutAndAsAnOperator()
    {
        var g = new OnnxTestGraph { Opset = 20 };
        string x = g.Input("x", "N", 6);
        string d = g.Node("Div", [x, g.Weight([], [MathF.Sqrt(2)])]);
        string e = g.Node("Erf", [d]);
        string a = g.Node("Add", [e, g.Weight([], [1f])]);
        string m = g.Node("Mul", [x, a]);
        string y = g.Node("Mul", [m, g.Weight([], [0.5f])]);
        y = g.Node("Gelu", [g.Node("Gemm", [y, g.Weight([6, 5])])]);
        g.Output(y, "N", 5);
        var (model, _) = ImportComparison.Check(g.Bytes(), [6]);
        Assert.Equal(2, model.Layers.Count(l => l is Gelu));
    }
}
