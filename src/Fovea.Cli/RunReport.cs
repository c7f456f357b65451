using System.Globalization;
using Fovea.Data;
using Fovea.Models;
using Fovea.Serialization;
using Fovea.Visualization;

namespace Fovea.Cli;

/// <summary>
/// The pictures of a finished run and the page that shows them: the tutorial's figures (training samples, loss and
/// accuracy by epoch, the first 25 test predictions) plus the confusion matrix, each as a PNG in the run folder, and
/// <c>report.html</c> with the settings, the model summary, the metrics and every picture embedded.
/// </summary>
internal static class RunReport
{
    /// <summary>
    /// Writes samples.png, loss.png, accuracy.png, predictions.png, confusion.png and report.html into the run folder,
    /// from one pass of the model over the test set, and returns the test accuracy of each class by class name
    /// (classes with no test image are left out: their accuracy is undefined).
    /// </summary>
    public static IReadOnlyDictionary<string, double> Write(RunFolder run, Model model, Cifar10Dataset data, EvaluationResult test, TrainSettings settings)
    {
        var (train, testSet, classNames) = (data.Train, data.Test, data.ClassNames);
        var history = model.State.History;
        float[] probabilities = model.Predict(testSet.Images, settings.BatchSize).Data;
        var confusion = ConfusionMatrix.FromProbabilities(testSet.Labels, probabilities, classNames.Count);

        ReportFigure[] figures =
        [
            Save(run.SamplesPath, new ReportFigure($"{Math.Min(ImageGrid.DefaultCount, train.Count)} random training images",
                ImageGrid.Samples(train, classNames, seed: unchecked((int)settings.Seed)))),
            Save(run.LossChartPath, new ReportFigure("Loss by epoch", Charts.Loss(history))),
            Save(run.AccuracyChartPath, new ReportFigure("Accuracy by epoch", Charts.Accuracy(history))),
            Save(run.PredictionsPath, new ReportFigure($"The first {Math.Min(ImageGrid.DefaultCount, testSet.Count)} test images",
                ImageGrid.Predictions(testSet.Images, testSet.Labels, probabilities, classNames),
                "Predicted class and its probability over the true class: green when right, red when wrong.")),
            Save(run.ConfusionPath, new ReportFigure("Confusion matrix (test set)", Charts.ConfusionMatrix(confusion, classNames))),
        ];

        Report.WriteHtml(run.ReportPath, new ReportContent
        {
            Title = "Fovea training report",
            Subtitle = $"The Keras CIFAR-10 tutorial CNN, trained {DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} into {run.Path}",
            Settings = Settings(settings, model, train.Count, testSet.Count),
            ModelSummary = model.SummaryText(),
            TestLoss = test.Loss,
            TestAccuracy = test.Accuracy,
            ClassNames = classNames,
            Confusion = confusion,
            History = history,
            Figures = figures,
        });
        return PerClassAccuracy(confusion, classNames);
    }

    private static ReportFigure Save(string path, ReportFigure figure)
    {
        AtomicFile.Write(path, stream => stream.Write(figure.Png));
        return figure;
    }

    private static List<KeyValuePair<string, string>> Settings(TrainSettings s, Model model, int trainImages, int testImages)
    {
        int completed = model.State.History.Epochs.Count;
        return
        [
            new("Model", s.Model == "seed" ? "seed (the tutorial's CNN)" : s.Model),
            new("Data", s.Data ?? $"downloaded copy in {FoveaHome.Datasets}"),
            new("Training images", trainImages.ToString("N0", CultureInfo.InvariantCulture)),
            new("Test images", testImages.ToString("N0", CultureInfo.InvariantCulture)),
            new("Epochs", completed == s.Epochs ? $"{s.Epochs}" : $"{completed} of {s.Epochs} (stopped early)"),
            new("Batch size", s.BatchSize.ToString(CultureInfo.InvariantCulture)),
            new("Optimizer", "Adam"),
            new("Learning rate", s.LearningRate.ToString("R", CultureInfo.InvariantCulture)),
            new("Loss", "sparse categorical cross-entropy"),
            new("Early stopping", s.EarlyStopping is { } patience ? $"patience {patience} epochs, best weights kept" : "off"),
            new("Seed", s.Seed.ToString(CultureInfo.InvariantCulture)),
            new("Threads", s.Threads.ToString(CultureInfo.InvariantCulture)),
        ];
    }

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
