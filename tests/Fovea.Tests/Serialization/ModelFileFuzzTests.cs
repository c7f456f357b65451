using System.Text;
using System.Text.Json.Nodes;
using Fovea.Data;
using Fovea.IO;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Tests.Fuzzing;
using Fovea.Training;
using Xunit.Abstractions;

namespace Fovea.Tests.Serialization;

/// <summary>
/// Model files and checkpoints on hostile input (issue requirement: at least 10,000 cases per target in CI). The
/// safetensors layer has its own fuzz tests; these mutate what it carries: the architecture JSON in the metadata
/// (re-encoded into a well-formed file, so every case reaches <see cref="ModelFile"/>'s validation), the weights
/// against it, and a checkpoint's optimiser and training state.
/// </summary>
public sealed class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int CheckpointCases = 3_000;
    private const int DefaultSeed = 20_251_210;
    private const string Source = "fuzz.safetensors";

    /// <summary>Two tiny models covering every layer class, and one with class names: a few hundred weights each.</summary>
    private static Sequential[] Models() =>
    [
        new(new Conv2D(2, (3, 3), Activation.Relu, Padding.Same, inputShape: (6, 6, 3)), new MaxPool2D((2, 2), (2, 2)), new Flatten(), new Dense(4, Activation.Softmax)) { Seed = 1 },
        new(new Flatten(inputShape: (4, 4, 1)), new Dense(3), new ReLU(), new Dense(2, name: "logits"), new Fovea.Layers.Softmax()) { Seed = 2 },
        new(new Conv2D(1, (2, 2), inputShape: (3, 3, 2)), new Flatten(), new Dense(3, Activation.Relu)) { Seed = 3 },
    ];

    private static readonly byte[][] ModelSamples = Models().Select((model, i) =>
    {
        model.Build();
        var classNames = i == 1 ? new[] { "cat", "dog" } : null;
        return SafeTensors.ToBytes(ModelFile.WeightTensors(model).ToList(), ModelFile.Metadata(model, classNames));
    }).ToArray();

    private static object? LoadModel(byte[] file) => ModelFile.Load(SafeTensors.Read(new MemoryStream(file, writable: false), Source), Source);

    [Fact]
    public void Architecture_mutations_end_in_a_model_or_a_clean_rejection()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed), FuzzHarness.CasesFromEnvironment(Cases), ModelSamples, LoadModel,
            new FuzzOptions { Name = "model-architecture", Generate = MutateMetadata, Log = output.WriteLine });

        Assert.True(report.Valid > 0, "no mutation left a loadable model");
        int past = report.RejectionsByCategory.Where(kv => !kv.Key.StartsWith("the architecture is not valid JSON", StringComparison.Ordinal)).Sum(kv => kv.Value);
        Assert.True(past > report.Rejected / 2, $"only {past} of {report.Rejected} rejections got past the JSON parser");
        Assert.True(report.RejectionsByCategory.Count >= 25, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    [Fact]
    public void Byte_and_header_mutations_end_in_a_model_or_a_clean_rejection()
    {
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 1), FuzzHarness.CasesFromEnvironment(Cases), ModelSamples, LoadModel,
            new FuzzOptions
            {
                Name = "model-bytes",
                Generate = (m, samples) => m.Random.Next(2) == 0 ? FuzzOptions.DefaultGenerate(m, samples) : SafeTensorsFuzzTests.MutateHeader(m, samples),
                Log = output.WriteLine,
            });

        Assert.True(report.Valid > 0, "no mutation left a loadable model");
    }

    [Fact]
    public void Checkpoint_mutations_end_in_a_restored_run_or_a_clean_rejection()
    {
        byte[] checkpoint = CheckpointSample();
        var report = FuzzHarness.Run(FuzzHarness.SeedFromEnvironment(DefaultSeed + 2), FuzzHarness.CasesFromEnvironment(CheckpointCases), [checkpoint],
            file => Checkpoint.Load(SafeTensors.Read(new MemoryStream(file, writable: false), Source), Source, CompiledCheckpointModel()),
            new FuzzOptions { Name = "checkpoint", Generate = MutateMetadata, Log = output.WriteLine });

        Assert.True(report.Valid > 0, "no mutation left a loadable checkpoint");
        Assert.True(report.RejectionsByCategory.Count >= 10, $"only {report.RejectionsByCategory.Count} kinds of rejection reached");
    }

    private static Sequential CompiledCheckpointModel()
    {
        var model = Models()[0];
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        return model;
    }

    /// <summary>A checkpoint after one epoch on four images, so the optimiser slots and the history are not empty.</summary>
    private static byte[] CheckpointSample()
    {
        var model = CompiledCheckpointModel();
        var pixels = Enumerable.Range(0, 4 * 6 * 6 * 3).Select(i => (byte)(i * 37)).ToArray();
        model.Fit(new ImageSet(pixels, 4, 6, 6, 3), [0, 1, 2, 3], batchSize: 2, epochs: 1, verbose: 0);
        using var temp = new Data.TempFolder();
        string path = temp["checkpoint.safetensors"];
        Checkpoint.Save(path, model, null, settingsJson: """{"epochs":3}""");
        return File.ReadAllBytes(path);
    }

    // ---------------------------------------------------------------- generator

    /// <summary>Values a config field may be given: boundaries of the readers' ranges, huge, negative, of the wrong type.</summary>
    private static readonly string[] InterestingValues =
    [
        "0", "-1", "1", "2", "3", "64", "65", "65536", "65537", "60000", "1048576", "1048577", "2147483647", "2147483648", "1e10", "1.5",
        "-0", "null", "true", "\"x\"", "\"relu\"", "\"RELU\"", "\"softmax\"", "\"same\"", "\"1\"", "[]", "{}", "[1]", "[1,1]", "[64,64]",
        "[65,1]", "[0,1]", "[-1,2]", "[2,2,2]", "[65536,65536,3]", "[8192,8192,1]", "[1,1,1,1,1]", "[32,32,3]", "[1,1,1]",
        "[60000]", "[1048576]", "[1,67108864]", "\"" + new string('a', 200) + "\"", "\"a\\nb\"", "\"\\u0000\"",
    ];

    private static readonly string[] LayerClasses = ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "ReLU", "Softmax", "Dropout", "conv2d", ""];

    private static readonly string[] ConfigKeys = ["name", "input_shape", "filters", "kernel_size", "activation", "padding", "pool_size", "strides", "units"];

    /// <summary>
    /// Re-encodes the sample with one metadata value changed: the architecture most often, as raw text mutations
    /// (syntax, numbers, values) or as a change to one layer (a config value, the class, a layer added, dropped or
    /// repeated); otherwise the format keys, class names, or a checkpoint's optimiser and training state. Sometimes
    /// the weights change too: one dropped, or given another shape or dtype.
    /// </summary>
    private static byte[] MutateMetadata(Mutator m, IReadOnlyList<byte[]> samples)
    {
        var file = SafeTensors.Read(new MemoryStream(samples[m.Random.Next(samples.Count)], writable: false), Source);
        var metadata = file.Metadata.ToDictionary();
        var tensors = file.Tensors.ToList();

        string[] keys = [.. metadata.Keys];
        string key = m.Random.Next(2) == 0 && metadata.ContainsKey(ModelFile.ArchitectureKey) ? ModelFile.ArchitectureKey : keys[m.Random.Next(keys.Length)];
        switch (m.Random.Next(8))
        {
            case 0:
                metadata.Remove(key);
                break;
            case < 4 when key == ModelFile.ArchitectureKey:
                metadata[key] = MutateLayers(m, metadata[key]);
                break;
            default:
                metadata[key] = Encoding.UTF8.GetString(m.Mutate(Encoding.UTF8.GetBytes(metadata[key])));
                break;
        }

        // Half the changed architectures get weights to match, so that they pass the per-weight checks and are built.
        if (key == ModelFile.ArchitectureKey && metadata.TryGetValue(key, out var changed) && m.Random.Next(2) == 0 && WeightsFor(changed, m) is { } matching)
            tensors = [.. tensors.Where(t => t.Name.StartsWith("optimizer/", StringComparison.Ordinal)), .. matching];

        if (m.Random.Next(5) == 0 && tensors.Count > 0)
        {
            int i = m.Random.Next(tensors.Count);
            NamedTensor t = tensors[i];
            switch (m.Random.Next(3))
            {
                case 0:
                    tensors.RemoveAt(i);
                    break;
                case 1:
                    tensors[i] = new NamedTensor(t.Name, new Shape((int)t.Shape.Size), t.GetData<float>()); // flattened
                    break;
                default:
                    tensors[i] = NamedTensor.Create(t.Name, t.Shape, new double[t.Shape.Size]);
                    break;
            }
        }
        return SafeTensors.ToBytes(tensors, metadata);
    }

    /// <summary>
    /// Weights named and shaped as the architecture declares, when it parses and has at most 100,000 of them; random
    /// values, some not finite. Walks the shapes with the layers' own pure methods, so nothing large is allocated.
    /// </summary>
    private static List<NamedTensor>? WeightsFor(string architecture, Mutator m)
    {
        try
        {
            var layers = JsonNode.Parse(architecture)!["layers"]!.AsArray();
            var model = new Sequential(layers.Select(l => LayerRegistry.FromJson(l, Source)));
            model.AssignNames();
            Shape shape = model.Layers[0].DeclaredInputShape!.Value;
            var weights = new List<NamedTensor>();
            long total = 0;
            foreach (var layer in model.Layers)
            {
                Shape output = layer.ComputeOutputShape([shape]);
                foreach (var (name, weight) in layer.WeightShapes([shape]))
                {
                    if ((total += weight.Size) > 100_000) return null;
                    float[] values = Enumerable.Range(0, (int)weight.Size).Select(_ => m.Random.Next(50) switch
                    {
                        0 => float.NaN,
                        1 => float.PositiveInfinity,
                        _ => (float)(m.Random.NextDouble() - 0.5),
                    }).ToArray();
                    weights.Add(new NamedTensor($"{layer.Name}/{name}", weight, values));
                }
                shape = output;
            }
            return weights;
        }
        catch (Exception)
        {
            return null; // not an architecture the generator can follow; the case keeps the sample's weights
        }
    }

    private static string MutateLayers(Mutator m, string architecture)
    {
        var root = JsonNode.Parse(architecture)!.AsObject();
        var layers = root["layers"]!.AsArray();
        int rounds = 1 + (m.Random.Next(3) == 0 ? m.Random.Next(3) : 0); // a huge layer often takes two changes: its size and its input's
        for (int round = 0; round < rounds && layers.Count > 0; round++)
            MutateLayer(m, layers);
        return root.ToJsonString();
    }

    private static void MutateLayer(Mutator m, JsonArray layers)
    {
        int i = m.Random.Next(layers.Count);
        var layer = layers[i]!.AsObject();
        var config = layer["config"]!.AsObject();
        switch (m.Random.Next(8))
        {
            case < 4:
                config[ConfigKeys[m.Random.Next(ConfigKeys.Length)]] = JsonNode.Parse(InterestingValues[m.Random.Next(InterestingValues.Length)]);
                break;
            case 4:
                config.Remove(ConfigKeys[m.Random.Next(ConfigKeys.Length)]);
                break;
            case 5:
                layer["class_name"] = LayerClasses[m.Random.Next(LayerClasses.Length)];
                break;
            case 6:
                layers.RemoveAt(i);
                break;
            default:
                layers.Insert(m.Random.Next(layers.Count + 1), layer.DeepClone());
                break;
        }
    }
}
