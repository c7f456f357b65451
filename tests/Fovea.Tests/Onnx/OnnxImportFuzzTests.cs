using Fovea.Onnx;
using Fovea.Tests.Fuzzing;
using Google.Protobuf;
using Onnx;
using Xunit.Abstractions;
using static Fovea.Tests.Onnx.OnnxTestGraph;

namespace Fovea.Tests.Onnx;

/// <summary>
/// The ONNX importer on hostile input: byte mutations of small models (most end in the protobuf parser), and
/// mutations of the parsed model (dims, attributes, node inputs, operator types, initializer data) written back, so
/// that most cases reach the graph checks and the layer building behind the parser.
/// </summary>
public sealed class OnnxImportFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int DefaultSeed = 20_261_206;

    private static object? Read(byte[] bytes) => OnnxImporter.Load(bytes, "fuzz.onnx");

    private static readonly FuzzOptions Options = new();

    [Fact]
    public void Byte_mutations_end_in_a_model_or_a_clean_rejection()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed), FuzzHarness.CasesFromEnvironment(Cases),
            Samples(), Read, Options with { Name = "onnx-bytes", Log = output.WriteLine });
        Assert.True(report.Valid > 0, "no mutation left a valid model");
    }

    [Fact]
    public void Model_mutations_reach_the_checks_behind_the_parser()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 1), FuzzHarness.CasesFromEnvironment(Cases),
            Samples(), Read, Options with { Name = "onnx-model", Generate = MutateModel, Log = output.WriteLine });
        Assert.True(report.Valid > 0, "no mutation left a valid model");
        Assert.True(report.RejectionsByCategory.Count >= 15, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    /// <summary>A ResNet-like stem and a classifier head: kilobytes, every kind of node the importer merges or pads.</summary>
    internal static byte[][] Samples()
    {
        var stem = new OnnxTestGraph(5) { Opset = 8 };
        string x = stem.Input("x", "N", 2, 9, 9);
        string y = stem.Node("Conv", [x, stem.Weight([3, 2, 3, 3]), stem.Weight([3])], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 0, 0));
        y = stem.Node("BatchNormalization", [y, stem.Positive(3), stem.Weight([3]), stem.Weight([3]), stem.Positive(3)], Float("epsilon", 1e-5f));
        y = stem.Node("Relu", [y]);
        y = stem.Node("MaxPool", [y], Ints("kernel_shape", 2, 2), Ints("strides", 1, 1), Ints("pads", 1, 1, 0, 0));
        string z = stem.Node("Add", [y, stem.Node("Sub", [y, stem.Weight([3, 1, 1])])]);
        y = stem.Node("AveragePool", [z], Ints("kernel_shape", 4, 4));
        stem.Output(y, "N", 3, 1, 1);

        var head = new OnnxTestGraph(6) { Opset = 13 };
        x = head.Input("x", "N", 2, 3, 3);
        y = head.Node("Flatten", [head.Node("Transpose", [head.Node("Transpose", [x], Ints("perm", 0, 2, 3, 1))], Ints("perm", 0, 3, 1, 2))]);
        y = head.Node("Gemm", [y, head.Weight([4, 18]), head.Weight([4])], Int("transB", 1));
        y = head.Node("Softmax", [head.Node("Clip", [head.Node("Reshape", [y, head.Longs(0, -1)]), head.Weight([], [0f])])]);
        head.Output(y, "N", 4);
        return [stem.Bytes(), head.Bytes()];
    }

    /// <summary>One to three changes to the parsed model, each drawn from the mutator's random source.</summary>
    internal static byte[] MutateModel(Mutator m, IReadOnlyList<byte[]> samples)
    {
        var model = ModelProto.Parser.ParseFrom(samples[m.Random.Next(samples.Count)]);
        var g = model.Graph;
        var r = m.Random;
        long Number() => r.Next(6) switch
        {
            0 => -r.Next(1, 5),
            1 => r.Next(0, 4),
            2 => r.Next(0, 70_000),
            3 => long.MaxValue - r.Next(3),
            4 => 1L << r.Next(16, 40),
            _ => r.Next(1, 10),
        };
        for (int changes = 1 + r.Next(3); changes > 0; changes--)
        {
            var node = g.Node[r.Next(g.Node.Count)];
            switch (r.Next(9))
            {
                case 0 when node.Attribute.Count > 0:
                    var a = node.Attribute[r.Next(node.Attribute.Count)];
                    if (a.Ints.Count > 0) a.Ints[r.Next(a.Ints.Count)] = Number(); else a.I = Number();
                    break;
                case 1 when g.Initializer.Count > 0:
                    var t = g.Initializer[r.Next(g.Initializer.Count)];
                    if (t.Dims.Count > 0 && r.Next(2) == 0) t.Dims[r.Next(t.Dims.Count)] = Number(); else t.Dims.Add(Number());
                    break;
                case 2 when g.Initializer.Count > 0:
                    var data = g.Initializer[r.Next(g.Initializer.Count)];
                    data.RawData = ByteString.CopyFrom(m.Mutate(data.RawData.ToByteArray()));
                    break;
                case 3 when node.Input.Count > 0:
                    // Rewire an input to any value of the graph: cycles, self-loops, constants where tensors go.
                    var names = g.Node.SelectMany(n => n.Output).Concat(g.Initializer.Select(i => i.Name)).Append("undefined").ToList();
                    node.Input[r.Next(node.Input.Count)] = names[r.Next(names.Count)];
                    break;
                case 4:
                    node.OpType = OnnxSupport.Operators[r.Next(OnnxSupport.Operators.Count)];
                    break;
                case 5:
                    g.Node.RemoveAt(r.Next(g.Node.Count));
                    if (g.Node.Count == 0) return model.ToByteArray();
                    break;
                case 6:
                    var dims = g.Input[0].Type.TensorType.Shape.Dim;
                    dims[r.Next(dims.Count)] = r.Next(4) == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "H" } : new TensorShapeProto.Types.Dimension { DimValue = Number() };
                    break;
                case 7:
                    node.Attribute.Add(new AttributeProto { Name = r.Next(2) == 0 ? "pads" : "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { Number(), Number(), Number(), Number() } });
                    break;
                default:
                    model.OpsetImport[0].Version = r.Next(5, 25);
                    break;
            }
        }
        return model.ToByteArray();
    }
}
