using Fovea.Zoo;
using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Zoo;

/// <summary>Named architectures with their recipes: what <c>fovea train --model NAME</c> and <c>fovea models</c> know.</summary>
public static class ModelZoo
{
    /// <summary>Every model, the default first.</summary>
    public static IReadOnlyList<ZooModel> All { get; } = [TutorialCnn.Entry, Airbench94.Entry, ResNet9.Entry];

    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>The model named <paramref name="name"/>; throws <see cref="ArgumentException"/> listing the names for any other.</summary>
    public static ZooModel Get(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? (name == "seed" ? TutorialCnn.Entry
        : throw new ArgumentException($"model must be one of {string.Join(", ", Names)}; got '{name}'", nameof(name)));

    /// <summary>A zoo model for CIFAR-10's shape (32×32×3, 10 classes).</summary>
    public static Model Create(string name, long seed = 0) => Get(name).Create(new Shape(32, 32, 3), 10, seed);

    /// <summary>
    /// The Keras tutorial's CIFAR-10 CNN ("tutorial" model): 167,562 parameters.
    /// Conv2D(32, 3×3, relu) → MaxPool 2×2 → Conv2D(64, 3×3, relu) → MaxPool 2×2 → Flatten → Dense(64, relu) → Dense(10, softmax).
    /// </summary>
    public static Sequential SeedCnn(long seed = 0) => TutorialCnn.Build(new Shape(32, 32, 3), 10, seed);
}
