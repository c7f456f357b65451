using Fovea.Layers;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Zoo;

/// <summary>The Keras CIFAR-10 tutorial's CNN and its recipe (Adam 1e-3, batch 64, 10 epochs), for any image shape.</summary>
public static class TutorialCnn
{
    /// <summary>The zoo's entry: the name <c>tutorial</c>, the builder and its recipe.</summary>
    public static ZooModel Entry { get; } = new("tutorial", "the Keras CIFAR-10 tutorial's CNN: two 3x3 convolutions with max-pooling, Dense(64), softmax",
        (shape, classes, seed) => Build(shape, classes, seed),
        new Recipe
        {
            Epochs = 10,
            BatchSize = 64,
            LearningRate = 1e-3f,
            Optimizer = plan => new Adam(plan.LearningRate),
            Description = "Adam(lr=0.001), batch 64, 10 epochs, no augmentation",
        });

    /// <summary>The tutorial's CNN for <paramref name="inputShape"/> and <paramref name="classes"/>, its weights drawn from <paramref name="seed"/>.</summary>
    public static Sequential Build(Shape inputShape, int classes, long seed)
    {
        if (inputShape.Rank != 3 || inputShape[0] < 10 || inputShape[1] < 10)
            throw new ArgumentException($"the tutorial CNN needs images of at least 10x10 pixels (two 3x3 convolutions and two 2x poolings); got {inputShape}", nameof(inputShape));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"the tutorial CNN needs at least one class; got {classes}");
        return new Sequential(
            new Conv2D(filters: 32, kernelSize: (3, 3), activation: Activation.Relu, inputShape: inputShape),
            new MaxPool2D(poolSize: (2, 2)),
            new Conv2D(filters: 64, kernelSize: (3, 3), activation: Activation.Relu),
            new MaxPool2D(poolSize: (2, 2)),
            new Flatten(),
            new Dense(64, activation: Activation.Relu),
            new Dense(classes, activation: Activation.Softmax))
        { Seed = seed };
    }
}
