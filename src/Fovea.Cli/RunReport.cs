using System.Globalization;
using Fovea.Data;
using Fovea.Evaluation;
using Fovea.IO;
using Fovea.Models;
using Fovea.Training;
using Fovea.Visualization;

namespace Fovea.Cli;

/// <summary>
/// The pictures of a finished run and the page that shows them: the tutorial's figures (training samples, loss and
/// accuracy by epoch, the first 25 test predictions; the validation split's when there is no test set) plus the confusion matrix, each as a PNG in the run folder, and
/// <c>report.html</c> with the settings, the model summary, the metrics and every picture embedded.
/// </summary>
internal static class RunReport
{
    /// <summary>The reliability diagram and the pictures of highest loss, written beside the report.</summary>
    public const string ReliabilityFileName = "reliability.png";

    /// <inheritdoc cref="ReliabilityFileName"/>
    public const string TopLossesFileName = "top_losses.png";

    /// <summary>
    /// Writes samples.png, loss.png, accuracy.png, predictions.png, confusion.png and report.html into the run folder,
    /// from one pass of the model over the test set, and returns the test accuracy of each class by class name
    /// (classes with no test image are left out: their accuracy is undefined). With <paramref name="errorAnalysis"/>,
    /// also reliability.png and top_losses.png, and the report's calibration section (<see cref="WriteErrorAnalysis"/>),
    /// which it returns too. The probabilities shown are the model's, its temperature applied when it has one. The charts
    /// show <paramref name="history"/>, else the model's own. <paramref name="plainLogits"/>, the test set's scores kept
    /// by the final evaluation, spare the pass.
    /// </summary>
    public static (IReadOnlyDictionary<string, double> PerClassAccuracy, ErrorAnalysis? ErrorAnalysis) Write(RunFolder run, Model model, LoadedData data,
        EvaluationResult test, TrainSettings settings, Recipe recipe, bool errorAnalysis = false, IReadOnlyList<KeyValuePair<string, string>>? extraSettings = null,
        RunMemory? memory = null, History? history = null, Tensor? plainLogits = null)
    {
        var (train, testSet, classNames) = (data.Train, data.Evaluation!, data.ClassNames);
        string testName = data.EvaluationName;
        history ??= model.State.History;
        var (raw, probabilities) = Probabilities(model, plainLogits ?? model.PredictLogits(testSet.Images, settings.BatchSize));
        var confusion = ConfusionMatrix.FromProbabilities(testSet.Labels, probabilities, classNames.Count);

        ReportFigure[] figures =
        [
            Save(run.SamplesPath, new ReportFigure($"{Math.Min(ImageGrid.DefaultCount, train.Count)} random training images",
                ImageGrid.Samples(train, classNames, seed: unchecked((int)settings.Seed)))),
            Save(run.LossChartPath, new ReportFigure("Loss by epoch", Charts.Loss(history))),
            Save(run.AccuracyChartPath, new ReportFigure("Accuracy by epoch", Charts.Accuracy(history))),
            Save(run.PredictionsPath, PredictionsFigure(data, testSet, probabilities, settings.Seed)),
            Save(run.ConfusionPath, new ReportFigure($"Confusion matrix ({testName} set)", Charts.ConfusionMatrix(confusion, classNames))),
        ];

        ErrorAnalysis? analysis = errorAnalysis ? WriteErrorAnalysis(run.Path, testSet, raw, classNames, model.Temperature, calibrated: probabilities) : null;
        var rows = Settings(settings, recipe, history.Epochs.Count, data);
        rows.AddRange(extraSettings ?? []);
        Report.WriteHtml(run.ReportPath, new ReportContent
        {
            Title = "Fovea training report",
            Subtitle = $"{ModelTitle(settings)} on {data.Title}, trained {DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} into {run.Path}",
            Settings = [.. rows, .. memory?.ReportRows() ?? []],
            ModelSummary = model.SummaryText(),
            TestLoss = test.Loss,
            TestAccuracy = test.Accuracy,
            ClassNames = classNames,
            Confusion = confusion,
            History = history,
            Figures = figures,
            ErrorAnalysis = analysis,
        });
        return (PerClassAccuracy(confusion, classNames), analysis);
    }

    /// <summary>
    /// The probabilities of <paramref name="logits"/> the model computed: as the network gives them (<c>Raw</c>,
    /// temperature 1) and as the model reports them (<c>Calibrated</c>: divided by its temperature when it has one,
    /// else the same array). Both are softmaxes of the same logits, in double precision.
    /// </summary>
    public static (float[] Raw, float[] Calibrated) Probabilities(Model model, Tensor logits)
    {
        float[] raw = TemperatureScaling.Apply(logits.Data, logits.Shape[1], 1);
        return (raw, model.Temperature is { } t ? TemperatureScaling.Apply(logits.Data, logits.Shape[1], t) : raw);
    }

    /// <summary>
    /// The tutorial's first 25 test images; for a folder, whose pictures come class by class, 25 chosen by the seed
    /// (in their order), so that the figure shows more than the first class or two.
    /// </summary>
    private static ReportFigure PredictionsFigure(LoadedData data, LabeledImages set, float[] probabilities, long seed)
    {
        const string caption = "Predicted class and its probability over the true class: green when right, red when wrong.";
        int shown = Math.Min(ImageGrid.DefaultCount, set.Count);
        if (data.FolderReport is null)
            return new ReportFigure($"The first {shown} {data.EvaluationName} images", ImageGrid.Predictions(set.Images, set.Labels, probabilities, data.ClassNames), caption);

        int classes = data.ClassNames.Count;
        int[] chosen = Enumerable.Range(0, set.Count).ToArray();
        Rng.For(seed, "report-predictions").Shuffle(chosen);
        chosen = chosen[..shown];
        Array.Sort(chosen);
        float[] rows = chosen.SelectMany(i => probabilities.AsSpan(i * classes, classes).ToArray()).ToArray();
        byte[] png = ImageGrid.Predictions(set.Images.Subset(chosen), chosen.Select(i => set.Labels[i]).ToArray(), rows, data.ClassNames);
        return new ReportFigure($"{shown} random {data.EvaluationName} images", png, caption);
    }

    /// <summary>
    /// Calibration and the worst errors of a model on labelled images, from its probabilities over them without a
    /// temperature (<c>[n, classes]</c> row-major): writes reliability.png (before and after the model's
    /// <paramref name="temperature"/>, else one fitted on these images) and top_losses.png (the 16 images of highest
    /// loss, or <paramref name="topLosses"/>; ranked by <paramref name="calibrated"/>, the model's probabilities with its
    /// temperature, when given) into <paramref name="folder"/>, and returns the analysis for <see cref="ReportContent.ErrorAnalysis"/>.
    /// </summary>
    public static ErrorAnalysis WriteErrorAnalysis(string folder, LabeledImages set, float[] probabilities, IReadOnlyList<string> classNames, double? temperature = null,
        int topLosses = TopLossesGrid.DefaultCount, float[]? calibrated = null)
    {
        ErrorAnalysis analysis = ErrorAnalysis.Create(set.Images, set.Labels, probabilities, classNames, topLosses,
            modelTemperature: temperature, calibratedProbabilities: temperature is null ? null : calibrated);
        Save(System.IO.Path.Combine(folder, ReliabilityFileName), analysis.ReliabilityFigure!);
        Save(System.IO.Path.Combine(folder, TopLossesFileName), analysis.TopLossesFigure!);
        return analysis;
    }

    private static ReportFigure Save(string path, ReportFigure figure)
    {
        AtomicFile.Write(path, stream => stream.Write(figure.Png));
        return figure;
    }

    private static string ModelTitle(TrainSettings s) => s.Model is "tutorial" or "seed" ? "The Keras tutorial CNN" : s.Model;

    private static List<KeyValuePair<string, string>> Settings(TrainSettings s, Recipe recipe, int completed, LoadedData data)
    {
        var image = data.Train.Images;
        var rows = new List<KeyValuePair<string, string>>
        {
            new("Model", s.Model == "seed" ? "tutorial (the Keras tutorial's CNN)" : s.Model),
            new("Data", $"{data.Title}: {data.Source}"),
            new("Images", $"{image.Height}x{image.Width}, {(image.Channels == 1 ? "grayscale" : "RGB")}, {data.ClassNames.Count} classes"),
            new("Training images", Count(data.Train.Count)),
        };
        if (data.Validation is { } validation)
            rows.Add(new("Validation images", Count(validation.Count) + (s.ValidationSplit is > 0 ? $" (a {s.ValidationSplit.Value.ToString("0.##", CultureInfo.InvariantCulture)} split, seed {s.Seed})" : "")));
        rows.Add(new("Test images", data.Test is { } testSet ? Count(testSet.Count) : "none: the validation images are the test set"));
        if (data.FolderReport is { SkippedCount: > 0 } report) rows.Add(new("Skipped pictures", Count(report.SkippedCount)));
        rows.AddRange(
        [
            new("Epochs", completed == s.Epochs ? $"{s.Epochs}" : $"{completed} of {s.Epochs} (stopped early)"),
            new("Batch size", s.BatchSize.ToString(CultureInfo.InvariantCulture)),
            new("Recipe", recipe.Description),
            new("Learning rate", s.LearningRate.ToString("R", CultureInfo.InvariantCulture)),
            new("Early stopping", s.EarlyStopping is { } patience ? $"patience {patience} epochs, best weights kept" : "off"),
            new("Validation", s.ValidationFrequencyFor(recipe) switch
            {
                1 => "every epoch",
                var every when every >= s.Epochs => "after the last epoch",
                var every => $"every {every} epochs and after the last",
            }),
            new("Seed", s.Seed.ToString(CultureInfo.InvariantCulture)),
            new("Threads", s.Threads.ToString(CultureInfo.InvariantCulture)),
        ]);
        return rows;
    }

    private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static Dictionary<string, double> PerClassAccuracy(ConfusionMatrix confusion, IReadOnlyList<string> classNames)
    {
        double[] accuracy = confusion.PerClassAccuracy();
        var byName = new Dictionary<string, double>(classNames.Count);
        for (int c = 0; c < classNames.Count; c++)
        {
            if (double.IsNaN(accuracy[c])) continue;
            // A class list with a repeated name (a hand-made dataset) must not lose a class or fail the run.
            string key = byName.ContainsKey(classNames[c]) ? $"{classNames[c]} ({c})" : classNames[c];
            byName[key] = accuracy[c];
        }
        return byName;
    }
}
