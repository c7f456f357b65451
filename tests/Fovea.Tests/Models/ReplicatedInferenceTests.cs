using System.Text.Json.Nodes;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Models;

/// <summary>
/// With two threads, inference cuts a batch into one slice per thread and runs each through a replica of the model
/// that shares its weights. The answer must be exactly what one thread computes on the whole batch.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public class ReplicatedInferenceTests
{
    [Theory]
    [InlineData("tutorial", 37)]
    [InlineData("airbench94", 5)]
    [InlineData("resnet9", 4)]
    public void Two_threads_predict_and_evaluate_what_one_thread_does(string name, int batch)
    {
        var model = ModelZoo.Get(name).Create(new Shape(32, 32, 3), 10, 4);
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        var (x, y) = RandomBatch(batch, new Shape(32, 32, 3), 10);

        float[] one, two;
        EvaluationResult evalOne, evalTwo;
        using (new EngineThreads(1))
        {
            one = model.Predict(x, batchSize: batch, tta: TestTimeAugmentation.Mirror).Data;
            evalOne = model.Evaluate(x, y, batchSize: batch);
        }
        using (new EngineThreads(2))
        {
            two = model.Predict(x, batchSize: batch, tta: TestTimeAugmentation.Mirror).Data;
            evalTwo = model.Evaluate(x, y, batchSize: batch);
        }
        Assert.Equal(Bits(one), Bits(two));
        Assert.Equal(evalOne, evalTwo);
    }

    [Fact]
    public void Replicas_see_the_weights_the_model_has_now()
    {
        using var _ = new EngineThreads(2);
        var model = ModelZoo.SeedCnn(seed: 3);
        model.Compile(new Adam(0.01f), new SparseCategoricalCrossentropy());
        var (x, y) = RandomBatch(16, new Shape(32, 32, 3), 10);
        float[] before = model.Predict(x, batchSize: 16).Data;
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        float[] after = model.Predict(x, batchSize: 16).Data;
        Assert.NotEqual(Bits(before), Bits(after));
        using (new EngineThreads(1)) Assert.Equal(Bits(after), Bits(model.Predict(x, batchSize: 16).Data));
    }

    [Fact]
    public void Replicas_derive_each_kernel_once_for_all_of_them()
    {
        // Kernels of 2.4 MB on maps of 4×4 pixels: one thread's first pass allocates little besides what it derives
        // from them (the first folded with its BatchNormalization, both transformed by Winograd: about 21 MB). Two
        // threads add two replicas, which hold no weights of their own and share the derived kernels: about as much.
        // Each replica deriving its own, and building weight blocks of its own, made it 3.6× as much.
        var (x, _) = RandomBatch(8, new Shape(4, 4, 256), 10);
        Sequential Build() => new(
            new Conv2D(256, 3, padding: Padding.Same, useBias: false, inputShape: new Shape(4, 4, 256)),
            new BatchNormalization(), new ReLU(),
            new Conv2D(256, 3, activation: Activation.Relu, padding: Padding.Same),
            new GlobalAveragePooling2D(), new Dense(10, activation: Activation.Softmax)) { Seed = 5 };
        (long Bytes, float[] Output) FirstPass(int threads)
        {
            var model = Build();
            model.Build();
            using var _ = new EngineThreads(threads);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var output = model.Predict(x, batchSize: 8).Data;
            return (GC.GetTotalAllocatedBytes(precise: true) - before, output);
        }
        FirstPass(1);
        FirstPass(2);   // compiled: what follows counts the passes' own arrays
        var (one, oneOutput) = FirstPass(1);
        var (two, twoOutput) = FirstPass(2);
        Assert.Equal(Bits(oneOutput), Bits(twoOutput));
        Assert.True(one > 4_000_000, $"one thread's first pass allocated {one} bytes: the kernels were expected to dominate");
        Assert.True(two < 1.3 * one, $"two threads' first pass allocated {two} bytes against one thread's {one}");
    }

    [Fact]
    public void A_functional_model_ending_in_a_softmax_layer_keeps_its_logits_per_slice()
    {
        var inputs = new Input((8, 8, 3));
        var a = new Conv2D(6, 3, Activation.Relu, Padding.Same).Call(inputs);
        var b = new Conv2D(6, 1).Call(a);
        var sum = new Add().Call(a, b);
        var pooled = new GlobalAveragePooling2D().Call(sum);
        var logits = new Dense(4).Call(pooled);
        var model = new Model(inputs, new Fovea.Layers.Softmax().Call(logits)) { Seed = 5 };
        model.Compile(new Sgd(0.01f), new SparseCategoricalCrossentropy());
        var (x, y) = RandomBatch(9, new Shape(8, 8, 3), 4);
        EvaluationResult one, two;
        float[] p1, p2;
        using (new EngineThreads(1)) { one = model.Evaluate(x, y, batchSize: 9, tta: TestTimeAugmentation.Mirror); p1 = model.Predict(x, 9).Data; }
        using (new EngineThreads(2)) { two = model.Evaluate(x, y, batchSize: 9, tta: TestTimeAugmentation.Mirror); p2 = model.Predict(x, 9).Data; }
        Assert.Equal(one, two);
        Assert.Equal(Bits(p1), Bits(p2));
    }

    [Fact]
    public void A_model_with_a_layer_of_its_own_still_predicts_on_two_threads()
    {
        var model = new Sequential(new Flatten(inputShape: new Shape(4, 4, 1)), new Halving(), new Dense(3, Activation.Softmax)) { Seed = 1 };
        var (x, _) = RandomBatch(8, new Shape(4, 4, 1), 3);
        float[] one, two;
        using (new EngineThreads(1)) one = model.Predict(x, 8).Data;
        using (new EngineThreads(2)) two = model.Predict(x, 8).Data;
        Assert.Equal(Bits(one), Bits(two));
    }

    private static (Tensor X, int[] Y) RandomBatch(int batch, Shape shape, int classes)
    {
        var rng = new Rng(11);
        var x = new float[batch * shape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var y = Enumerable.Range(0, batch).Select(i => i % classes).ToArray();
        return (new Tensor(shape.WithBatch(batch), x), y);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>A layer Fovea cannot write to a model file: y = x / 2.</summary>
    private sealed class Halving() : UnaryLayer(null, null)
    {
        public override string TypeName => "Halving";
        public override string NameStem => "halving";
        public override Shape ComputeOutputShape(Shape inputShape) => inputShape;

        public override void Forward(float[] output, float[] input, in StepContext step)
        {
            for (int i = 0; i < step.Batch * InputShape.Size; i++) output[i] = input[i] / 2;
        }

        public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
        {
            if (inputGrad is null) return;
            for (int i = 0; i < step.Batch * InputShape.Size; i++) inputGrad[i] = outputGrad[i] / 2;
        }

        public override JsonObject GetConfig() => BaseConfig();
    }
}
