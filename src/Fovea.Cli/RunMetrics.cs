using Fovea.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fovea.Cli;

/// <summary>The figures of a finished run, written as <c>metrics.json</c>.</summary>
internal sealed record RunMetrics
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required double TestLoss { get; init; }
    public required double TestAccuracy { get; init; }
    public required long Params { get; init; }
    /// <summary>The fit's wall time, its validation passes included.</summary>
    public required double TrainSeconds { get; init; }
    /// <summary>Of <see cref="TrainSeconds"/>, the validation passes'.</summary>
    public double? ValidationSeconds { get; init; }
    /// <summary>The final evaluation's (with test-time augmentation when the recipe has it).</summary>
    public double? TestSeconds { get; init; }
    public required int Epochs { get; init; }
    public int? BatchSize { get; init; }
    public float? LearningRate { get; init; }
    public long? Seed { get; init; }
    public int? Threads { get; init; }
    public int? TrainImages { get; init; }

    /// <summary>The dataset's title (a folder's name for pictures) and what the test figures were measured on.</summary>
    public string? Dataset { get; init; }
    public int? TestImages { get; init; }

    /// <summary>"test", or "validation" for a folder without a test/ folder.</summary>
    public string? TestSet { get; init; }
    public IReadOnlyDictionary<string, double>? PerClassAccuracy { get; init; }

    /// <summary>The run's peak resident memory and its memory plan.</summary>
    public RunMemory? Memory { get; init; }

    /// <summary>The 15-bin expected calibration error of the probabilities the model reports on the test set (its
    /// temperature applied when it has one).</summary>
    public double? Ece { get; init; }

    /// <summary>The model's temperature and the test set's calibration error without and with it; null without one.</summary>
    public CalibrationMetrics? Calibration { get; init; }

    /// <summary>The test images of highest loss, highest first.</summary>
    public IReadOnlyList<TopLossMetric>? TopLosses { get; init; }

    /// <summary>The (true, predicted) class pairs the model confuses most on the test set, most frequent first.</summary>
    public IReadOnlyList<ConfusedPairMetric>? MostConfused { get; init; }

    /// <param name="Temperature">T, which predictions divide the logits by.</param>
    /// <param name="FittedOn">The images T was fitted on ("5,000 held-out training images").</param>
    /// <param name="Images">How many they are.</param>
    /// <param name="EceBefore">The test set's ECE at T = 1.</param>
    /// <param name="EceAfter">The test set's ECE at T.</param>
    internal sealed record CalibrationMetrics(double Temperature, string FittedOn, int Images, double EceBefore, double EceAfter);

    /// <param name="Index">The image's position in the test set.</param>
    /// <param name="True">Its class.</param>
    /// <param name="Predicted">The class the model gave it.</param>
    /// <param name="Probability">The predicted class's probability.</param>
    /// <param name="Loss">−log p(true class).</param>
    internal sealed record TopLossMetric(int Index, string True, string Predicted, float Probability, double Loss);

    /// <param name="True">The images' class.</param>
    /// <param name="Predicted">The class the model gave them.</param>
    /// <param name="Count">How many test images.</param>
    internal sealed record ConfusedPairMetric(string True, string Predicted, int Count);

    public static void Write(string path, RunMetrics metrics) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(metrics, Options) + "\n");
}
