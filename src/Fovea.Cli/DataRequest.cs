using Fovea.Imaging;

namespace Fovea.Cli;

/// <summary>
/// What the data options ask for: a path (<c>--data</c>) and/or a built-in dataset (<c>--dataset</c>), and for a
/// folder of pictures the size and colour they are decoded to, the share held out for validation and whether a
/// bad picture stops the run. Null members take their defaults when the data is loaded.
/// </summary>
internal sealed record DataRequest
{
    public string? Path { get; init; }
    public BuiltInDataset? Dataset { get; init; }
    public int? ImageHeight { get; init; }
    public int? ImageWidth { get; init; }
    public ColorMode? Color { get; init; }
    public double? ValidationSplit { get; init; }
    public bool Strict { get; init; }

    /// <summary>The first option given that only a folder of pictures takes, or null: the built-in datasets refuse them.</summary>
    public string? FolderOnlyOption =>
        ImageHeight is not null ? "--image-size" : Color is not null ? "--color" : ValidationSplit is not null ? "--validation-split" : Strict ? "--strict" : null;
}

/// <summary>The datasets <c>--dataset</c> names, found locally or downloaded.</summary>
internal enum BuiltInDataset
{
    Cifar10,
    FashionMnist,
    Mnist,
}

internal static class BuiltInDatasets
{
    /// <summary>The names <c>--dataset</c> takes, in the enum's order.</summary>
    public static readonly string[] Names = ["cifar10", "fashion-mnist", "mnist"];

    public static string Name(this BuiltInDataset dataset) => Names[(int)dataset];

    public static string Title(this BuiltInDataset dataset) => dataset switch
    {
        BuiltInDataset.Cifar10 => "CIFAR-10",
        BuiltInDataset.FashionMnist => "Fashion-MNIST",
        _ => "MNIST",
    };

    public static BuiltInDataset Parse(string name)
    {
        int index = Array.IndexOf(Names, name);
        return index >= 0 ? (BuiltInDataset)index
            : throw new FoveaUsageException($"--dataset must be one of {string.Join(", ", Names)}; got '{name}'");
    }
}
