using System.CommandLine;
using Fovea.Visualization;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea show</c>: the tutorial's first picture, random training images with their class names, as a PNG, from
/// any dataset the data options name (a folder of pictures as the model would see them: cropped, resized, in its colour mode).
/// </summary>
internal static class ShowCommand
{
    /// <summary>A 20x20 grid is already about 3,300 pixels a side; more would be a poster, not a picture.</summary>
    public const int MaxCount = 400;

    private static readonly DataOptions DataOptions = new(validationSplitHelp: null);
    private static readonly Option<string> Out = new("--out") { Description = "PNG file to write", DefaultValueFactory = _ => "samples.png" };
    private static readonly Option<int> Count = new("--count") { Description = $"Images to show (1 to {MaxCount})", DefaultValueFactory = _ => ImageGrid.DefaultCount };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the random choice of images", DefaultValueFactory = _ => 0 };

    public static Command Create()
    {
        var command = new Command("show", "Draw random training images with their class names into a PNG") { Out, Count, Seed };
        foreach (var option in DataOptions.All) command.Options.Add(option);
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        int count = parse.GetValue(Count);
        if (count is < 1 or > MaxCount) throw new FoveaUsageException($"--count must be in [1, {MaxCount}]; got {count}");
        string path = Path.GetFullPath(parse.GetValue(Out)!);
        if (Directory.Exists(path)) throw new FoveaUsageException($"--out must name a PNG file; got the folder {path}");

        var data = DataResolver.Load(DataOptions.Read(parse), trainLimit: null, parse.GetValue(Seed), ct);
        // stdout is the picture's path alone, for scripts; what a folder held goes beside it.
        if (data.FolderReport is { } report) Console.Error.WriteLine(report);
        try
        {
            ImageGrid.SaveSamples(path, data.Train.Images, data.Train.Labels, data.ClassNames, count, parse.GetValue(Seed));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"{path}: cannot write the file: {e.Message}", e);
        }
        Console.WriteLine(path);
        return ExitCodes.Success;
    }
}
