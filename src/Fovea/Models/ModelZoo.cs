using Fovea.Layers;

namespace Fovea.Models;

/// <summary>Named architectures the CLI can build.</summary>
public static class ModelZoo
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["seed"];

    public static Sequential Create(string name, long seed = 0) => name switch
    {
        "seed" => SeedCnn(seed),
        _ => throw new ArgumentException($"model must be one of {string.Join(", ", Names)}; got '{name}'", nameof(name)),
    };

    /// <summary>
    /// The Keras tutorial's CIFAR-10 CNN ("seed" model): 167,562 parameters.
    /// Conv2D(32, 3×3, relu) → MaxPool 2×2 → Conv2D(64, 3×3, relu) → MaxPool 2×2 → Flatten → Dense(64, relu) → Dense(10, softmax).
    /// </summary>
    public static Sequential SeedCnn(long seed = 0) => new(
        new Conv2D(filters: 32, kernelSize: (3, 3), activation: Activation.Relu, inputShape: (32, 32, 3)),
        new MaxPool2D(poolSize: (2, 2)),
        new Conv2D(filters: 64, kernelSize: (3, 3), activation: Activation.Relu),
        new MaxPool2D(poolSize: (2, 2)),
        new Flatten(),
        new Dense(64, activation: Activation.Relu),
        new Dense(10, activation: Activation.Softmax))
    { Seed = seed };
}
