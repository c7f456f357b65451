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
    public required double TrainSeconds { get; init; }
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

    public static void Write(string path, RunMetrics metrics) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(metrics, Options) + "\n");
}
