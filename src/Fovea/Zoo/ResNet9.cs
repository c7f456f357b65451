using Fovea.Data.Augmentation;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Optimizers.Schedules;
using Fovea.Training;

namespace Fovea.Zoo;

/// <summary>
/// ResNet-9 of the DAWNBench CIFAR-10 entries (Page, 2018), at half width for two CPU cores (32-64-128-256): a prep
/// convolution, three stages of conv → BatchNorm → ReLU → max-pool with a residual block of two convolutions after the
/// first and the last, global average pooling and a linear head scaled by 1/8. A functional model: each residual block
/// joins its two paths with <see cref="Add"/>. Recipe: Nesterov SGD with a one-cycle schedule, label smoothing,
/// random crops, flips and cutout.
/// </summary>
public static class ResNet9
{
    /// <summary>The zoo's entry: the name <c>resnet9</c>, the builder and its recipe.</summary>
    public static ZooModel Entry { get; } = new("resnet9", "ResNet-9 (DAWNBench, half width 32-64-128-256): residual blocks joined by Add, BatchNorm, ReLU",
        (shape, classes, seed) => Build(shape, classes, seed),
        new Recipe
        {
            Epochs = 12,
            // 128 rather than DAWNBench's 512: on a CPU a smaller batch costs little throughput and gives short runs
            // enough steps (one epoch on 10,000 images: 0.444 test accuracy at 128 against 0.379 at 256).
            BatchSize = 128,
            LearningRate = 0.2f,
            Optimizer = plan => new Sgd(new OneCycle(plan.LearningRate, Math.Max(plan.TotalSteps, 2), pctStart: 0.25), momentum: 0.9f, nesterov: true, weightDecay: 5e-4f),
            Loss = () => new SparseCategoricalCrossentropy(labelSmoothing: 0.1f),
            Augmentation = () => new AugmentationPipeline(new RandomTranslate(4), new RandomFlip(), new Cutout(8)),
            TestTimeAugmentation = TestTimeAugmentation.Mirror,
            DropRemainder = true,
            Description = "Nesterov SGD (momentum 0.9, one-cycle to lr 0.2, weight decay 5e-4), label smoothing 0.1, translate 4 + flip + cutout 8, batch 128, 12 epochs, TTA mirror",
        })
    {
        Prepare = (model, images) =>
        {
            var (mean, variance) = PatchWhitening.ChannelStatistics(images);
            ((Normalization)model.Layers.First(l => l is Normalization)).SetStatistics(mean, variance);
        },
    };

    /// <summary>The ResNet-9 network for <paramref name="inputShape"/> and <paramref name="classes"/>, its weights drawn from
    /// <paramref name="seed"/>; <paramref name="width"/> is the prep convolution's channels, doubled at each stage.</summary>
    public static Model Build(Shape inputShape, int classes, long seed, int width = 32)
    {
        if (inputShape.Rank != 3 || inputShape[0] < 8 || inputShape[1] < 8)
            throw new ArgumentException($"resnet9 needs images of at least 8x8 pixels (three 2x poolings); got {inputShape}", nameof(inputShape));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"resnet9 needs at least one class; got {classes}");
        int c = inputShape[2];
        var inputs = new Input(inputShape);
        var x = new Normalization(Enumerable.Repeat(0.5f, c).ToArray(), Enumerable.Repeat(0.0625f, c).ToArray()).Call(inputs);
        x = ConvBlock(x, width, pool: false);
        x = ConvBlock(x, 2 * width, pool: true);
        x = Residual(x, 2 * width);
        x = ConvBlock(x, 4 * width, pool: true);
        x = ConvBlock(x, 8 * width, pool: true);
        x = Residual(x, 8 * width);
        x = new GlobalAveragePooling2D().Call(x);
        x = new Dense(classes, useBias: false).Call(x);
        x = new Rescaling(0.125f).Call(x);
        x = new Softmax().Call(x);
        var model = new Model(inputs, x, name: "resnet9") { Seed = seed };
        model.Build();
        return model;
    }

    private static SymbolicTensor ConvBlock(SymbolicTensor x, int filters, bool pool)
    {
        x = new Conv2D(filters, (3, 3), padding: Padding.Same, useBias: false).Call(x);
        if (pool) x = new MaxPool2D((2, 2)).Call(x);
        x = new BatchNormalization(momentum: 0.9f, epsilon: 1e-5f).Call(x);
        return new ReLU().Call(x);
    }

    private static SymbolicTensor Residual(SymbolicTensor x, int filters)
    {
        var y = ConvBlock(x, filters, pool: false);
        y = ConvBlock(y, filters, pool: false);
        return new Add().Call(x, y);
    }
}
