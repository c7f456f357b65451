using System.CommandLine;
using System.Globalization;
using Fovea.Imaging;

namespace Fovea.Cli;

/// <summary>
/// The options that choose a dataset, shared by <c>train</c>, <c>evaluate</c> and <c>show</c>: each command gets its
/// own instances (an option belongs to one command), with the same names, help and checks.
/// </summary>
internal sealed class DataOptions
{
    /// <summary>Help for <c>--validation-split</c> as <c>train</c> uses it.</summary>
    public const string TrainSplitHelp = "Folders: the share of each class's training pictures held out for validation, chosen by --seed, the same on every run "
        + "(default: 0.2 for a folder without test/ or val/ folders, else 0); without a test/ folder it is also the test set";

    /// <summary>Help for <c>--validation-split</c> as <c>evaluate</c> uses it.</summary>
    public const string EvaluateSplitHelp = "Folders without a test/ folder: evaluate on the share of each class a run held out with this split and its --seed "
        + "(default: the val/ folder, else every picture)";

    /// <param name="validationSplitHelp">The help of <c>--validation-split</c>; null for a command without one.</param>
    public DataOptions(string? validationSplitHelp)
    {
        Data = new("--data")
        {
            Description = "A folder of pictures in class folders (cats/*.jpg, dogs/*.png; or train/, test/ and val/ folders holding them), "
                + "an IDX folder (Fashion-MNIST or MNIST's four files), or CIFAR-10 binary (a .tar.gz, a cifar-10-batches-bin folder or its parent)",
        };
        Dataset = new("--dataset")
        {
            Description = "A built-in dataset, found in ~/.fovea/datasets (Fashion-MNIST also in /usr/share/datasets) or downloaded there: "
                + string.Join(", ", BuiltInDatasets.Names) + " (default: cifar10 without --data)",
        };
        ImageSize = new("--image-size")
        {
            Description = "Folders: the size pictures are centre-cropped and resized to, 64 for 64x64 or HEIGHTxWIDTH such as 64x48 (default: 32x32; evaluate: the model's input)",
        };
        Color = new("--color") { Description = "Folders: the channels pictures become, rgb or grayscale (default: rgb; evaluate: the model's input)" };
        if (validationSplitHelp is not null) ValidationSplit = new("--validation-split") { Description = validationSplitHelp };
        Strict = new("--strict") { Description = "Folders: stop at the first picture that cannot be read instead of skipping it" };
    }

    public Option<string?> Data { get; }
    public Option<string?> Dataset { get; }
    public Option<string?> ImageSize { get; }
    public Option<string?> Color { get; }
    public Option<double?> ValidationSplit { get; } = null!;
    public Option<bool> Strict { get; }

    public IEnumerable<Option> All => new Option?[] { Data, Dataset, ImageSize, Color, ValidationSplit, Strict }.OfType<Option>();

    /// <summary>The options as given; the path made absolute.</summary>
    public DataRequest Read(ParseResult parse)
    {
        string? data = parse.GetValue(Data), dataset = parse.GetValue(Dataset), size = parse.GetValue(ImageSize), color = parse.GetValue(Color);
        double? split = ValidationSplit is null ? null : parse.GetValue(ValidationSplit);
        if (split is { } s && !(s >= 0 && s < 1)) throw new FoveaUsageException($"--validation-split must be in [0, 1); got {s.ToString(CultureInfo.InvariantCulture)}");
        var (height, width) = size is null ? ((int?)null, (int?)null) : ParseSize(size);
        var request = new DataRequest
        {
            Path = data is null ? null : System.IO.Path.GetFullPath(data),
            Dataset = dataset is null ? null : BuiltInDatasets.Parse(dataset),
            ImageHeight = height,
            ImageWidth = width,
            Color = color switch
            {
                null => null,
                "rgb" => ColorMode.Rgb,
                "grayscale" => ColorMode.Grayscale,
                _ => throw new FoveaUsageException($"--color must be rgb or grayscale; got '{color}'"),
            },
            ValidationSplit = split,
            Strict = parse.GetValue(Strict),
        };
        if (request.Dataset is not null && request.FolderOnlyOption is { } option)
            throw new FoveaUsageException($"{option} applies to a folder of pictures; --dataset {dataset} has its own images");
        return request;
    }

    /// <summary>"64" is 64x64; "64x48" is 64 high and 48 wide, as Keras's image_size=(64, 48).</summary>
    internal static (int Height, int Width) ParseSize(string text)
    {
        string[] parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0))
        {
            int height = int.Parse(parts[0], CultureInfo.InvariantCulture);
            int width = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : height;
            if ((long)height * width <= ImageLoader.MaxPixels) return (height, width);
        }
        throw new FoveaUsageException($"--image-size must be a side such as 64 or HEIGHTxWIDTH such as 64x48, at most {ImageLoader.MaxPixels / 1_000_000} megapixels; got '{text}'");
    }
}
