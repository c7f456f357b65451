using Fovea.Data.Augmentation;
using Fovea.Layers;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Optimizers.Schedules;
using Fovea.Training;

namespace Fovea.Zoo;

/// <summary>
/// ResNet-18 pretrained on ImageNet, fine-tuned as fast.ai's <c>fine_tune</c> does: the head alone for one epoch,
/// then everything, earlier layers at lower rates. The weights come from the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT), read by the ONNX importer, which lives above the zoo: the zoo
/// gets the imported feature extractor and builds the classifier around it (<see cref="Entry"/>).
/// Like every Fovea model it takes NHWC RGB in [0, 1]; grayscale is fed to all three channels.
/// </summary>
public static class PretrainedResNet18
{
    /// <summary>The zoo name.</summary>
    public const string Name = "resnet18";

    /// <summary>What <c>--pretrained</c> names for these weights.</summary>
    public const string ImageNet = "imagenet";

    /// <summary>The NuGet package that carries the ONNX file, its version, licence and download size.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18", PackageVersion = "0.24.0", Licence = "MIT", PackageSize = "59.5 MB";

    /// <summary>Pictures smaller than this on a side are enlarged to it (square) before the network: an ImageNet
    /// network sees too little of a 32-pixel picture after its five halvings.</summary>
    public const int MinImageSize = 128;

    /// <summary>Epochs that train the head alone before everything is unfrozen.</summary>
    public const int FrozenEpochs = 1;

    /// <summary>
    /// The network's mean picture (BGR, 0–255) reduced to one mean per channel, in RGB order: the per-pixel mean image
    /// varies by a few levels across the picture, so the features differ slightly from those of the package's own
    /// preprocessing (which subtracts the whole image); fine-tuning absorbs the difference.
    /// </summary>
    public static IReadOnlyList<float> ChannelMeansRgb { get; } = [123.2f, 115.9f, 103.1f];

    /// <summary>The base halves the picture five times; its asymmetric paddings only line the shortcuts up with the
    /// main paths on sides that are a multiple of this.</summary>
    public const int SizeMultiple = 32;

    /// <summary>The size of the picture the base sees for data of <paramref name="inputShape"/>: square at
    /// <see cref="MinImageSize"/> for small pictures, else each side rounded up to a multiple of <see cref="SizeMultiple"/>.</summary>
    public static (int Height, int Width) BaseImageSize(Shape inputShape) =>
        inputShape[0] < MinImageSize || inputShape[1] < MinImageSize
            ? (MinImageSize, MinImageSize)
            : (RoundUp(inputShape[0]), RoundUp(inputShape[1]));

    private static int RoundUp(int side) => (side + SizeMultiple - 1) / SizeMultiple * SizeMultiple;

    /// <summary>The fine-tuning recipe: the head alone for one epoch, then everything at lower rates for earlier layers.</summary>
    public static Recipe Recipe { get; } = new()
    {
        Epochs = 7,
        BatchSize = 32,
        LearningRate = 2e-3f,
        Optimizer = plan =>
        {
            long frozen = Math.Min(plan.TotalSteps, (long)plan.StepsPerEpoch * FrozenEpochs), rest = plan.TotalSteps - frozen;
            // fast.ai: the head at the base rate, warming up over nearly all of its epoch; then everything at half the
            // base rate for the head and 1/10 and 1/100 of that for the later and earlier halves of the base.
            var schedule = new ScheduleSequence(
                (new OneCycle(plan.LearningRate, Math.Max(frozen, 2), pctStart: 0.99), frozen),
                (new OneCycle(plan.LearningRate / 2, Math.Max(rest, 2), pctStart: 0.3, divFactor: 5), rest));
            return new AdamW(schedule, weightDecay: 0.01f, epsilon: 1e-5f)
            {
                Groups =
                [
                    new ParameterGroup(p => p.Layer.Name!.StartsWith(FineTuning.EarlyPrefix, StringComparison.Ordinal), LearningRateScale: 0.01f),
                    new ParameterGroup(p => p.Layer.Name!.StartsWith(FineTuning.LatePrefix, StringComparison.Ordinal), LearningRateScale: 0.1f),
                ],
            };
        },
        Augmentation = () => new AugmentationPipeline(new RandomTranslate(4), new RandomFlip()),
        // Mirror + translate: on 100 CIFAR-10 pictures a class, +0.8 to +1.0 points over mirror alone for one network
        // and +0.15 to +1.05 for five, on three splits.
        TestTimeAugmentation = TestTimeAugmentation.MirrorTranslate,
        Ensemble = EnsembleFor,
        Description = "fine-tune: head alone 1 epoch (AdamW one-cycle to lr 2e-3), then all layers (one-cycle to 1e-3; base halves at 1/10 and 1/100), translate 4 + flip, batch 32, 7 epochs, TTA mirror + translate; "
            + $"few pictures: an ensemble of up to {MaxEnsemble} networks",
    };

    /// <summary>Most networks the recipe averages.</summary>
    public const int MaxEnsemble = 5;

    /// <summary>The training work the recipe's ensemble may fill, in pictures of <see cref="MinImageSize"/>² pixels
    /// passed through one network: five networks on 1,000 pictures.</summary>
    public const int EnsembleBudget = 5_000;

    /// <summary>
    /// Networks the recipe averages for <paramref name="pictures"/> training pictures of <paramref name="inputShape"/>:
    /// as many as fit <see cref="EnsembleBudget"/> (the work scales with the pictures and the pixels the base sees), from
    /// 1 to <see cref="MaxEnsemble"/>. Few pictures are where one fine-tuned network varies most from seed to seed and
    /// where more networks cost least: on 100 CIFAR-10 pictures a class, five networks averaged reached 0.80 on two
    /// splits where one reached 0.76–0.78.
    /// </summary>
    public static int EnsembleFor(int pictures, Shape inputShape)
    {
        var (h, w) = BaseImageSize(inputShape);
        double work = Math.Max(pictures, 1) * ((double)h * w / (MinImageSize * MinImageSize));
        return (int)Math.Clamp(Math.Floor(EnsembleBudget / work), 1, MaxEnsemble);
    }

    /// <summary>One line for <c>fovea models</c>.</summary>
    public const string Description = "ResNet-18 pretrained on ImageNet, fine-tuned: resize, mean subtraction, the base, BatchNorm, Dropout, Dense";

    /// <summary>
    /// The zoo entry around <paramref name="features"/>, which imports the extractor for pictures of the (height,
    /// width, 3) it is given (<see cref="BaseImageSize"/>; BGR, 0–255 less the ImageNet means, features out).
    /// <paramref name="bgr"/>: whether the extractor takes BGR (the package's network) rather than RGB.
    /// </summary>
    public static ZooModel Entry(Func<Shape, Model> features, bool bgr = true)
    {
        ArgumentNullException.ThrowIfNull(features);
        return new(Name, Description, (shape, classes, seed) =>
        {
            var (h, w) = BaseImageSize(shape);
            return Build(features(new Shape(h, w, 3)), shape, classes, seed, bgr);
        }, Recipe)
        {
            Callbacks = model => [new FineTunePhases(model, FrozenEpochs, baseBatchNormFrozen: true)],
        };
    }

    /// <summary>The classifier: front (grayscale to RGB, resize, ×255, less the means), base, BatchNorm, Dropout, Dense.</summary>
    public static Model Build(Model features, Shape inputShape, int classes, long seed, bool bgr = true) =>
        Build(features, inputShape, classes, seed, bgr, head: true);

    /// <summary>The classifier, or without <paramref name="head"/> the front and the base alone (their features).</summary>
    internal static Model Build(Model features, Shape inputShape, int classes, long seed, bool bgr, bool head)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (inputShape.Rank != 3 || inputShape[2] is not (1 or 3))
            throw new ArgumentException($"{Name} takes RGB or grayscale pictures; got {inputShape}", nameof(inputShape));
        if (head && classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"{Name} needs at least one class; got {classes}");
        var inputs = new Input(inputShape);
        SymbolicTensor x = inputs;
        Conv2D? gray = null;
        if (inputShape[2] == 1) x = (gray = new Conv2D(3, (1, 1), useBias: false, name: FineTuning.EarlyPrefix + "gray_to_rgb")).Call(x);
        var (h, w) = BaseImageSize(inputShape);
        if ((h, w) != (inputShape[0], inputShape[1])) x = new Resizing(h, w, name: FineTuning.EarlyPrefix + "resize").Call(x);
        // (x − m/255)·255 as ×255 then − m: Normalization has no epsilon, so a variance of 1 subtracts m exactly.
        x = new Rescaling(255f, name: FineTuning.EarlyPrefix + "to_bytes").Call(x);
        x = new Normalization(ChannelMeansRgb.ToArray(), [1f, 1f, 1f], name: FineTuning.EarlyPrefix + "imagenet_mean").Call(x);
        var (features512, copyWeights) = FineTuning.CallBase(features, x);
        x = features512;
        if (head)
        {
            // fast.ai's head starts with BatchNorm too: the features' scale (a few units, 512 of them) would otherwise
            // give logits so large that one epoch of the head alone barely moves them (val accuracy 0.30 against
            // 0.47 after the second epoch without it, on 100 CIFAR-10 pictures per class).
            x = new BatchNormalization(name: "head_batch_normalization").Call(x);
            x = new Dropout(0.25f, name: "head_dropout").Call(x);
            x = new Dense(classes, Activation.Softmax, name: FineTuning.HeadName).Call(x);
        }
        var model = new Model(inputs, x, name: Name) { Seed = seed };
        model.Build();
        copyWeights(model);
        gray?.Weights.Single(p => p.Name == "kernel").Value.Fill(1f);
        if (bgr) FineTuning.SwapFirstConvolutionChannels(model, FineTuning.EarlyPrefix + features.Layers[0].Name);
        return model;
    }
}
