using System.Text.Json.Nodes;
using Fovea.Data;
using Fovea.IO;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Serialization;

/// <summary>
/// Model files and checkpoints that the fuzz tests found mishandled (or that probe the limits they rely on): each
/// must be refused with a one-line <see cref="InvalidDataFileException"/>, before anything large is allocated.
/// </summary>
public sealed class ModelFileHostileTests
{
    private const string Source = "m.safetensors";

    private static Sequential Tiny() =>
        new(new Conv2D(2, (3, 3), Activation.Relu, inputShape: (5, 5, 1)), new Flatten(), new Dense(3, Activation.Softmax)) { Seed = 4 };

    private static (List<NamedTensor> Weights, Dictionary<string, string> Metadata) TinyFile()
    {
        var model = Tiny();
        model.Build();
        return (ModelFile.WeightTensors(model).ToList(), ModelFile.Metadata(model, ["a", "b", "c"]));
    }

    private static SavedModel Load(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata) =>
        ModelFile.Load(SafeTensors.Read(new MemoryStream(SafeTensors.ToBytes(tensors, metadata), writable: false), Source), Source);

    /// <summary>The refusal's message without the file name, checked to be one line; and the bytes allocated on the way.</summary>
    private static (string Message, long Allocated) Refusal(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataFileException>(() => Load(tensors, metadata));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.StartsWith(Source + ": ", e.Message);
        return (e.Message[(Source.Length + 2)..], allocated);
    }

    private static string WithArchitecture(params string[] layers) =>
        $$"""{"name":"sequential","input_shape":[1],"layers":[{{string.Join(",", layers)}}]}""";

    private static Dictionary<string, string> Metadata(string architecture)
    {
        var (_, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = architecture;
        metadata.Remove(ModelFile.ClassNamesKey);
        return metadata;
    }

    // ---------------------------------------------------------------- sizes: refused before Build allocates

    [Fact]
    public void A_60000_by_60000_dense_layer_is_refused_before_anything_is_allocated()
    {
        // Was: OverflowException from Build, after allocating the layers before it. 3.6 billion weights, 29 GB with gradients.
        var metadata = Metadata(WithArchitecture(
            """{"class_name":"Flatten","config":{"name":"flatten","input_shape":[60000]}}""",
            """{"class_name":"Dense","config":{"name":"dense","units":60000,"activation":"linear"}}"""));

        var (message, allocated) = Refusal([new NamedTensor("dense/bias", new Shape(60000), new float[60000])], metadata);

        Assert.Equal("the architecture declares 3,600,060,000 weights, more than Fovea loads (at most 268,435,456)", message);
        Assert.True(allocated < 2 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_large_layer_that_fits_the_cap_is_checked_against_the_file_before_it_is_built()
    {
        // Was: Build allocated 2 x 4 x 64M floats (512 MB), initialised them, and only then found the weight missing.
        var metadata = Metadata(WithArchitecture(
            """{"class_name":"Flatten","config":{"name":"flatten","input_shape":[8192]}}""",
            """{"class_name":"Dense","config":{"name":"dense","units":8192,"activation":"relu"}}"""));

        var (message, allocated) = Refusal([], metadata);

        Assert.Equal("weight 'dense/kernel' is missing", message);
        Assert.True(allocated < 2 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_is_named_before_anything_is_built()
    {
        var (weights, metadata) = TinyFile();
        weights[0] = new NamedTensor(weights[0].Name, new Shape(18), new float[18]);

        Assert.Equal("weight 'conv2d/kernel' must be F32(3, 3, 1, 2) for this architecture; got F32(18,)", Refusal(weights, metadata).Message);
    }

    [Fact]
    public void A_layer_whose_output_per_sample_is_too_large_to_run_is_refused()
    {
        // 64 x 64 x 65536 filters = 268 million values per image: predicting one image would need a gigabyte.
        var metadata = Metadata(WithArchitecture(
            """{"class_name":"Conv2D","config":{"name":"conv2d","filters":65536,"kernel_size":[1,1],"activation":"linear","padding":"valid","input_shape":[64,64,1]}}"""));

        Assert.Equal("layer conv2d (Conv2D) outputs (64, 64, 65536) = 268,435,456 values per sample, more than Fovea runs (at most 67,108,864)",
            Refusal([], metadata).Message);
    }

    [Fact]
    public void A_convolution_whose_patch_matrix_is_too_large_to_run_is_refused()
    {
        // Loaded fine (12,289 weights, 49 KB), and then predicting one image planned a 206-billion-value im2col
        // matrix: an OverflowException, an internal error in 'fovea predict'.
        var metadata = Metadata(WithArchitecture(
            """{"class_name":"Conv2D","config":{"name":"conv2d","filters":1,"kernel_size":[64,64],"activation":"linear","padding":"same","input_shape":[4096,4096,3]}}"""));

        Assert.Equal("layer conv2d (Conv2D) needs 206,158,430,208 values of scratch per sample for input (4096, 4096, 3), more than Fovea runs (at most 67,108,864)",
            Refusal([], metadata).Message);
    }

    [Fact]
    public void Weight_shapes_planned_before_building_are_the_ones_Build_creates()
    {
        Layer[] layers =
        [
            new Conv2D(3, (2, 4), inputShape: (7, 9, 2)), new Conv2D(5, (3, 3), padding: Padding.Same), new MaxPool2D((2, 3)),
            new Flatten(), new Dense(6), new ReLU(), new Dense(4, Activation.Softmax), new Fovea.Layers.Softmax(),
        ];
        var planned = new List<(string, Shape)>();
        Shape shape = new(7, 9, 2);
        foreach (var layer in layers)
        {
            planned.AddRange(layer.WeightShapes([shape]).Select(w => ($"{layer.GetType().Name}/{w.Name}", w.Shape)));
            shape = layer.ComputeOutputShape([shape]);
        }

        var model = new Sequential(layers);
        model.Build();

        Assert.Equal(model.Layers.SelectMany(l => l.Parameters.Select(p => ($"{l.GetType().Name}/{p.Name}", p.Shape))), planned);
    }

    // ---------------------------------------------------------------- JSON that System.Text.Json accepts but trips over

    [Fact]
    public void A_key_twice_in_a_layer_is_invalid_json_not_an_argument_exception()
    {
        var (weights, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = metadata[ModelFile.ArchitectureKey].Replace("\"config\":{", "\"config\":{},\"config\":{", StringComparison.Ordinal);

        Assert.StartsWith("the architecture is not valid JSON (Duplicate property 'config'", Refusal(weights, metadata).Message);
    }

    [Theory]
    [InlineData("\"class_name\":\"Dense\"", "\"class_name\":\"\\ud800\"")]
    [InlineData("\"activation\":\"softmax\"", "\"activation\":\"\\udc00x\"")]
    [InlineData("\"input_shape\":[5,5,1]", "\"input_shape\":[5,\"\\ud800\",1]")]
    [InlineData("\"name\":\"flatten\"", "\"\\ud800\":1,\"name\":\"flatten\"")]
    public void Half_a_surrogate_pair_anywhere_in_the_architecture_is_invalid_json(string find, string replace)
    {
        // Was: InvalidOperationException from System.Text.Json on reading (or printing, or duplicate-checking) the string.
        var (weights, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = metadata[ModelFile.ArchitectureKey].Replace(find, replace, StringComparison.Ordinal);

        Assert.StartsWith("the architecture is not valid JSON (a string holds half of a surrogate pair, a broken \\u escape (at byte ", Refusal(weights, metadata).Message);
    }

    [Theory]
    [InlineData("[\"\\ud800\",\"b\",\"c\"]")]
    [InlineData("[\"a\",\"b\",\"c\",\"a\":1]")]
    [InlineData("[\"a\",\"b\",null]")]
    public void Class_names_that_are_not_three_strings_are_refused(string json)
    {
        var (weights, metadata) = TinyFile();
        metadata[ModelFile.ClassNamesKey] = json;
        Assert.Equal("class_names must be a JSON array of 3 non-empty names", Refusal(weights, metadata).Message);
    }

    [Theory]
    [InlineData("{\"name\":\"mse\"}")]
    [InlineData("{\"name\":\"sparse_categorical_crossentropy\",\"label_smoothing\":7}")]
    [InlineData("{\"name\":\"sparse_categorical_crossentropy\",\"reduction\":\"max\"}")]
    [InlineData("[1,2]")]
    [InlineData("{\"name\":\"sparse_categorical_crossentropy\",\"from_logits\":\"yes\"}")]
    public void A_malformed_recorded_loss_is_refused(string json)
    {
        var (weights, metadata) = TinyFile();
        metadata[ModelFile.LossKey] = json;
        Assert.StartsWith("the recorded loss is malformed (", Refusal(weights, metadata).Message);
    }

    /// <summary>The compiled loss is saved with the model, as Keras saves its compile config: evaluating the loaded
    /// model with it reports the loss the original reports (here a label-smoothed, summed cross-entropy).</summary>
    [Fact]
    public void The_compiled_loss_round_trips_and_evaluates_the_same()
    {
        var model = Tiny();
        model.Compile(new Sgd(0.1f), new SparseCategoricalCrossentropy(labelSmoothing: 0.2f, reduction: Reduction.Sum), ["accuracy"]);
        var rng = new Rng(3);
        var x = new float[6 * 25];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var images = new Tensor(new Shape(6, 5, 5, 1), x);
        int[] labels = [0, 1, 2, 2, 1, 0];
        var before = model.Evaluate(images, labels, batchSize: 6);
        string path = Path.Combine(Path.GetTempPath(), $"fovea-loss-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path, ["a", "b", "c"]);
            var saved = Model.Load(path);
            var loss = Assert.IsType<SparseCategoricalCrossentropy>(saved.Loss);
            Assert.Equal((0.2f, Reduction.Sum, false), (loss.LabelSmoothing, loss.Reduction, loss.FromLogits));
            saved.Model.Compile(new Sgd(0.1f), saved.Loss!, ["accuracy"]);
            Assert.Equal(before.Loss, saved.Model.Evaluate(images, labels, batchSize: 6).Loss);
        }
        finally { File.Delete(path); }
        // An uncompiled model records no loss.
        var (weights, metadata) = TinyFile();
        Assert.False(metadata.ContainsKey(ModelFile.LossKey));
        Assert.Null(Load(weights, metadata).Loss);
    }

    // ---------------------------------------------------------------- text from the file in messages

    [Fact]
    public void Text_from_the_file_is_escaped_and_cut_in_messages()
    {
        var (weights, metadata) = TinyFile();
        metadata[ModelFile.VersionKey] = "1\nINFO all good";
        Assert.Equal("format_version must be a positive integer; got '1\\u000aINFO all good'", Refusal(weights, metadata).Message);

        (weights, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = metadata[ModelFile.ArchitectureKey].Replace("\"Dense\"", "\"Dense\\r\\nINFO\"", StringComparison.Ordinal);
        Assert.Equal("unknown layer class 'Dense\\u000d\\u000aINFO'", Refusal(weights, metadata).Message);

        (weights, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = metadata[ModelFile.ArchitectureKey].Replace("\"units\":3", $"\"units\":[{string.Join(",", Enumerable.Repeat(7, 5000))}]", StringComparison.Ordinal);
        Assert.Equal($"layer Dense: 'units' must be an integer in [1, 1048576]; got [{string.Join(",", Enumerable.Repeat(7, 32))}…", Refusal(weights, metadata).Message);

        (weights, metadata) = TinyFile();
        metadata[ModelFile.ArchitectureKey] = "{\"layers\":tru\u0001" + new string('x', 5000) + "}";
        string message = Refusal(weights, metadata).Message;
        Assert.StartsWith("the architecture is not valid JSON ('tru\\u0001xxx", message);
        Assert.True(message.Length < 320, $"{message.Length} characters");
    }

    // ---------------------------------------------------------------- checkpoints

    private static Sequential CompiledTiny()
    {
        var model = Tiny();
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        return model;
    }

    /// <summary>A checkpoint of <see cref="Tiny"/> after one epoch, as tensors and metadata to tamper with.</summary>
    private static (List<NamedTensor> Tensors, Dictionary<string, string> Metadata) CheckpointParts()
    {
        var model = CompiledTiny();
        byte[] pixels = Enumerable.Range(0, 2 * 25).Select(i => (byte)(i * 9)).ToArray();
        model.Fit(new ImageSet(pixels, 2, 5, 5, 1), [0, 2], batchSize: 2, epochs: 1, verbose: 0);
        using var temp = new Data.TempFolder();
        Checkpoint.Save(temp["c.safetensors"], model, null);
        var file = SafeTensors.Read(temp["c.safetensors"]);
        // Copies: the file's tensors are views of its buffer, which a test may outlive.
        return (file.Tensors.ToList(), file.Metadata.ToDictionary());
    }

    private static string CheckpointRefusal(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata, Sequential? into = null)
    {
        var file = SafeTensors.Read(new MemoryStream(SafeTensors.ToBytes(tensors, metadata), writable: false), Source);
        var e = Assert.Throws<InvalidDataFileException>(() => Checkpoint.Load(file, Source, into ?? CompiledTiny()));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message[(Source.Length + 2)..];
    }

    private static void EditState(Dictionary<string, string> metadata, string key, Action<JsonObject> edit)
    {
        var state = JsonNode.Parse(metadata[key])!.AsObject();
        edit(state);
        metadata[key] = state.ToJsonString();
    }

    [Fact]
    public void A_checkpoint_missing_a_state_field_names_it()
    {
        // Was: "the checkpoint's state is malformed (Object reference not set to an instance of an object.)"
        var (tensors, metadata) = CheckpointParts();
        EditState(metadata, "training_state", s => s.Remove("seed"));
        Assert.Equal("the training state's seed must be an integer; got nothing", CheckpointRefusal(tensors, metadata));

        (tensors, metadata) = CheckpointParts();
        EditState(metadata, "training_state", s => s["completed_epochs"] = "one");
        Assert.Equal("the training state's completed_epochs must be an integer; got \"one\"", CheckpointRefusal(tensors, metadata));

        (tensors, metadata) = CheckpointParts();
        EditState(metadata, "optimizer", s => s["iterations"] = 1.5);
        Assert.Equal("the optimizer state's iterations must be an integer; got 1.5", CheckpointRefusal(tensors, metadata));

        (tensors, metadata) = CheckpointParts();
        EditState(metadata, "training_state", s => s["history"] = new JsonArray((JsonNode?)null));
        Assert.Equal("the training state is inconsistent (epoch 1, 1 history rows)", CheckpointRefusal(tensors, metadata));
    }

    [Fact]
    public void A_checkpoint_optimizer_name_is_escaped_in_the_message()
    {
        // Was: the name printed raw, so a line break in it split the message.
        var (tensors, metadata) = CheckpointParts();
        EditState(metadata, "optimizer", s => s["name"] = "adam\nINFO resumed");
        Assert.Equal("the checkpoint's optimizer is 'adam\\u000aINFO resumed', this run's is 'adam'", CheckpointRefusal(tensors, metadata));
    }

    [Fact]
    public void A_checkpoint_that_fails_to_load_leaves_the_model_and_optimizer_as_they_were()
    {
        // Was: the weights were copied in before the optimiser and training state were checked.
        var (tensors, metadata) = CheckpointParts();
        EditState(metadata, "training_state", s => s["seen"] = -1);
        var model = CompiledTiny();
        float[] weights = model.Weights.ToArray();
        long iterations = model.Optimizer!.Iterations;

        Assert.StartsWith("the training state is inconsistent", CheckpointRefusal(tensors, metadata, model));

        Assert.Equal(weights, model.Weights.ToArray());
        Assert.Equal(iterations, model.Optimizer.Iterations);
    }
}
