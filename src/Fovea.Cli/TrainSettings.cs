using System.Text.Json;

namespace Fovea.Cli;

/// <summary>A training run's settings, saved in its checkpoint so that <c>--resume</c> continues with exactly these.</summary>
internal sealed record TrainSettings
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Model { get; init; } = "tutorial";

    /// <summary>Test-time augmentation for the final evaluation; null is the recipe's.</summary>
    public Models.TestTimeAugmentation? Tta { get; init; }
    public string? Data { get; init; }
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public float LearningRate { get; init; }
    public long Seed { get; init; }
    public int? Limit { get; init; }
    public int Threads { get; init; }
    public int? EarlyStopping { get; init; }

    /// <summary>Set once the run has written its model and metrics; a finished run is not resumed.</summary>
    public bool Finished { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainSettings FromJson(string? json, string source)
    {
        try
        {
            // Checked by the same strict parser as the rest of the checkpoint's metadata before it is bound.
            var s = json is null ? null : Serialization.MetadataJson.Parse(json).Deserialize<TrainSettings>(Json);
            if (s is null || s.Epochs < 1 || s.BatchSize < 1 || !(s.LearningRate > 0) || s.Threads < 1 || s.Limit is < 1 || s.EarlyStopping is < 1)
                throw new FoveaException($"{source}: the checkpoint holds no valid run settings");
            return s;
        }
        catch (JsonException e)
        {
            throw new FoveaException($"{source}: the checkpoint's run settings are malformed ({Serialization.MetadataJson.Reason(e)})");
        }
    }
}
