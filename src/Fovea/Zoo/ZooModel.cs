using Fovea.Data;
using Fovea.Models;
using Fovea.Training;

namespace Fovea.Zoo;

/// <summary>
/// A named architecture with its training recipe. <see cref="Create"/> builds it for a dataset's input shape and
/// class count, or refuses by name when it cannot take that shape; <see cref="Prepare"/> sets what depends on the
/// training images (normalisation statistics, a whitening layer) before training starts.
/// </summary>
public sealed record ZooModel(string Name, string Description, Func<Shape, int, long, Model> Build, Recipe Recipe)
{
    /// <summary>The architecture for images of <paramref name="inputShape"/> (height, width, channels) and
    /// <paramref name="classes"/> classes, its weights drawn from <paramref name="seed"/>.</summary>
    public Model Create(Shape inputShape, int classes, long seed = 0) => Build(inputShape, classes, seed);

    /// <summary>Data-dependent initialisation, run once on a fresh model before training (not on resume).</summary>
    public Action<Model, ImageSet> Prepare { get; init; } = (_, _) => { };

    /// <summary>Callbacks the recipe trains with (fine-tuning's phases), made for the model being trained.</summary>
    public Func<Model, IEnumerable<Callback>> Callbacks { get; init; } = _ => [];
}
