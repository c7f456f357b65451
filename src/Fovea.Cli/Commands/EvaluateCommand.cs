using System.CommandLine;
using System.Globalization;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.IO;
using Fovea.Imaging;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;
using Fovea.Visualization;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea evaluate</c>: reloads a saved model and reports its loss and accuracy on a dataset's test set: CIFAR-10's,
/// an IDX set's, or a folder's test/ folder (else its validation split, else every picture in it). A folder's
/// pictures are decoded to the model's input size and channels unless the options say otherwise. It also reports the
/// expected calibration error (before and after the model's temperature, when it has one), and with
/// <c>--top-losses K</c> draws the K images of highest loss into top_losses.png and the reliability diagram into
/// reliability.png beside the model, and lists the most-confused class pairs (fast.ai's <c>plot_top_losses</c> and
/// <c>most_confused</c>).
/// </summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly DataOptions DataOptions = new(validationSplitHelp: DataOptions.EvaluateSplitHelp);
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Samples per forward pass", DefaultValueFactory = _ => 64 };
    private static readonly Option<TestTimeAugmentation> Tta = new("--tta") { Description = "Test-time augmentation: None, Mirror or MirrorTranslate", DefaultValueFactory = _ => TestTimeAugmentation.None };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of a folder's validation split: the run's, to evaluate on the pictures it held out", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };
    private static readonly Option<int?> TopLossCount = new("--top-losses")
    {
        Description = "Draw the K images of highest loss into top_losses.png beside the model, and list the most-confused class pairs",
    };

    private static readonly Option<string?> Out = new("--out")
    {
        Description = "Folder for reliability.png and top_losses.png (default: with --top-losses, the model's folder)",
    };

    /// <summary>Most-confused pairs printed with --top-losses.</summary>
    private const int ConfusedPairsShown = 10;

    /// <summary>As many pictures as <c>fovea show</c> draws at most: a larger grid is no longer looked at.</summary>
    private const int MaxTopLosses = 400;

    public static Command Create()
    {
        var command = new Command("evaluate", "Evaluate a saved model on a dataset's test set") { Model, BatchSize, Tta, Seed, Threads, TopLossCount, Out };
        foreach (var option in DataOptions.All) command.Options.Add(option);
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        int batchSize = parse.GetValue(BatchSize);
        if (batchSize < 1) throw new FoveaUsageException($"--batch-size must be at least 1; got {batchSize}");
        int? topLosses = parse.GetValue(TopLossCount);
        if (topLosses is < 1 or > MaxTopLosses) throw new FoveaUsageException($"--top-losses must be in [1, {MaxTopLosses}]; got {topLosses}");
        var request = DataOptions.Read(parse);
        if (parse.GetValue(Out) is { } outFolder && File.Exists(outFolder)) throw new FoveaUsageException($"--out must be a folder; {outFolder} is a file");
        string modelPath = parse.GetValue(Model)!;
        var saved = Fovea.Models.Model.Load(modelPath);
        Shape input = saved.Model.InputShape;
        (int, int, ColorMode)? modelImage = input is { Rank: 3 } && input[2] is 1 or 3
            ? (input[0], input[1], input[2] == 1 ? ColorMode.Grayscale : ColorMode.Rgb)
            : null;

        var data = DataResolver.Load(request, trainLimit: null, parse.GetValue(Seed), ct, defaultImage: modelImage, forEvaluation: true);
        if (data.FolderReport is { } report) Console.WriteLine(report);
        // A folder with neither a test/ folder nor a split is evaluated whole: every picture is labelled by its folder.
        var (set, name) = data.Evaluation is { } evaluation ? (evaluation, data.EvaluationName) : (data.Train, "");
        if (set.Images.ImageShape != input)
            throw new FoveaException($"{modelPath} takes images of shape {input}; {data.Title}'s are {set.Images.ImageShape}");
        // A model file without class names calls them "0", "1", ...: then only their number can be checked.
        bool unnamed = saved.ClassNames.Select((name, i) => name == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).All(same => same);
        if (saved.ClassNames.Count != data.ClassNames.Count || (!unnamed && !saved.ClassNames.SequenceEqual(data.ClassNames)))
            throw new FoveaException($"{modelPath} was trained on the classes {Names(saved.ClassNames)}; {data.Title} has {Names(data.ClassNames)}");

        // The loss the model was trained with (a recipe's label smoothing), as the training run's test line reported it.
        saved.Model.Compile(new Adam(), saved.Loss ?? new SparseCategoricalCrossentropy(), ["accuracy"]);
        var tta = parse.GetValue(Tta);
        // One pass gives the loss training reported and the scores the probabilities come from.
        var (result, _, logits) = Trainer.Of(saved.Model).EvaluateKeepingLogits(set.Images, set.Labels, batchSize, tta);
        Console.WriteLine($"{set.Count:N0} {name}{(name.Length > 0 ? " " : "")}images of {data.Title}" + (tta == TestTimeAugmentation.None ? "" : $", test-time augmentation {tta}"));
        var (raw, probabilities) = RunReport.Probabilities(saved.Model, logits);
        double ece = Calibration.ExpectedCalibrationError(raw, saved.ClassNames.Count, set.Labels);
        // Before the test line, which stays last: it reads as the training run's own test line.
        Console.WriteLine(saved.Model.Temperature is { } t
            ? string.Create(CultureInfo.InvariantCulture,
                $"ece: {ece * 100:0.00}% → {Calibration.ExpectedCalibrationError(probabilities, saved.ClassNames.Count, set.Labels) * 100:0.00}% (T = {t:0.000}, {Calibration.DefaultBins} bins)")
            : string.Create(CultureInfo.InvariantCulture, $"ece: {ece * 100:0.00}% ({Calibration.DefaultBins} bins)"));
        Console.WriteLine($"test_loss: {result.Loss:F4} - test_accuracy: {result.Accuracy:F4}");
        string? folder = parse.GetValue(Out) is { } outPath ? Path.GetFullPath(outPath)
            : topLosses is null ? null : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        if (folder is not null)
            WriteErrorAnalysis(folder, set, raw, probabilities, saved.Model.Temperature, data.ClassNames, topLosses ?? TopLossesGrid.DefaultCount);
        return ExitCodes.Success;
    }

    /// <summary>
    /// top_losses.png and reliability.png into <paramref name="folder"/>, and the most-confused pairs on stdout. The
    /// images of highest loss are ranked by the probabilities the model reports (its temperature applied).
    /// </summary>
    private static void WriteErrorAnalysis(string folder, LabeledImages set, float[] raw, float[] calibrated, double? temperature, IReadOnlyList<string> classNames, int count)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaUsageException($"--out: cannot create {folder}: {e.Message}");
        }
        ErrorAnalysis analysis = RunReport.WriteErrorAnalysis(folder, set, raw, classNames, temperature, count, calibrated);
        IReadOnlyList<ConfusedPair> pairs = MostConfused.Find(raw, set.Labels, classNames);
        Console.WriteLine(pairs.Count == 0 ? "most confused: none, every image is right" : "most confused (true -> predicted: images):");
        foreach (ConfusedPair pair in pairs.Take(ConfusedPairsShown))
            Console.WriteLine($"  {pair.TrueName} -> {pair.PredictedName}: {pair.Count:N0}");
        Console.WriteLine($"top_losses: {Path.Combine(folder, RunReport.TopLossesFileName)} ({analysis.TopLosses.Count} images of highest loss)");
        Console.WriteLine($"reliability: {Path.Combine(folder, RunReport.ReliabilityFileName)}");
    }

    /// <summary>The first few class names, for a message that must stay one line.</summary>
    private static string Names(IReadOnlyList<string> names) =>
        "(" + string.Join(", ", names.Take(5)) + (names.Count > 5 ? $", … {names.Count} in all" : "") + ")";
}
