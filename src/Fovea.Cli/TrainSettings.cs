using Fovea.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fovea.Imaging;

namespace Fovea.Cli;

/// <summary>A training run's settings, saved in its checkpoint so that <c>--resume</c> continues with exactly these.</summary>
internal sealed record TrainSettings
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The most networks an ensemble averages.</summary>
    public const int MaxEnsemble = 16;

    public string Model { get; init; } = "tutorial";

    /// <summary>The pretrained weights (<c>imagenet</c> or an ONNX file) a fine-tuned model starts from; null for none.</summary>
    public string? Pretrained { get; init; }

    /// <summary>Test-time augmentation for the final evaluation; null is the recipe's.</summary>
    public Models.TestTimeAugmentation? Tta { get; init; }
    public string? Data { get; init; }

    /// <summary>The built-in dataset ("cifar10", "fashion-mnist", "mnist"); null for a folder of pictures.</summary>
    public string? Dataset { get; init; }

    /// <summary>A folder's picture size and colour, and the share of it held out for validation (chosen by <see cref="Seed"/>),
    /// with the defaults filled in: a resumed run decodes the same pictures and holds out the same ones.</summary>
    public int? ImageHeight { get; init; }
    public int? ImageWidth { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<ColorMode>))]
    public ColorMode? Color { get; init; }
    public double? ValidationSplit { get; init; }
    public bool Strict { get; init; }

    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public float LearningRate { get; init; }
    public long Seed { get; init; }
    public int? Limit { get; init; }
    public int Threads { get; init; }
    public int? EarlyStopping { get; init; }

    /// <summary><c>--validation-freq</c>; null is the recipe's (every epoch with early stopping).</summary>
    public int? ValidationFrequency { get; init; }

    /// <summary>Validate every this many epochs and after the last: <c>--validation-freq</c>, else every epoch when
    /// early stopping watches val_loss, else the recipe's.</summary>
    public int ValidationFrequencyFor(Training.Recipe recipe) => ValidationFrequency ?? (EarlyStopping is null ? recipe.ValidationFrequency : 1);

    /// <summary>MixUp's α from <c>--mixup</c> (0 turns off a recipe's); null is the recipe's.</summary>
    public float? MixUp { get; init; }

    /// <summary>Networks trained from seeds <see cref="Seed"/>, <see cref="Seed"/> + 1, … whose predictions the run's
    /// model averages (<c>--ensemble</c>); 1 trains one network; null, before the data are loaded, the recipe's
    /// (<see cref="Training.Recipe.Ensemble"/>), and in a checkpoint written before ensembles, 1.</summary>
    public int? Ensemble { get; init; }

    /// <summary>The number of networks, once resolved.</summary>
    public int Networks => Ensemble ?? 1;

    /// <summary>The ensemble member (from 0) that the checkpoint these settings are saved in belongs to.</summary>
    public int Member { get; init; }

    /// <summary>--calibrate (true) or --no-calibrate (false); null: calibrate where a validation set other than the
    /// test set exists (<see cref="CalibrationSet.ByDefault"/>). Saved, so that a resumed run holds out the same images.</summary>
    public bool? Calibrate { get; init; }

    /// <summary>The data options this run was started with, defaults filled in.</summary>
    public DataRequest DataRequest => new()
    {
        Path = Data,
        Dataset = Dataset is null ? null : BuiltInDatasets.Parse(Dataset),
        ImageHeight = ImageHeight,
        ImageWidth = ImageWidth,
        Color = Color,
        ValidationSplit = ValidationSplit,
        Strict = Strict,
    };

    /// <summary>These settings with the data options that were resolved when the data was loaded.</summary>
    public TrainSettings WithData(DataRequest resolved) => this with
    {
        Data = resolved.Path,
        Dataset = resolved.Dataset?.Name(),
        ImageHeight = resolved.ImageHeight,
        ImageWidth = resolved.ImageWidth,
        Color = resolved.Color,
        ValidationSplit = resolved.ValidationSplit,
        Strict = resolved.Strict,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainSettings FromJson(string? json, string source)
    {
        try
        {
            // Checked by the same strict parser as the rest of the checkpoint's metadata before it is bound.
            var s = json is null ? null : MetadataJson.Parse(json).Deserialize<TrainSettings>(Json);
            if (s is null || s.Epochs < 1 || s.BatchSize < 1 || !(s.LearningRate > 0) || s.Threads < 1 || s.Limit is < 1 || s.EarlyStopping is < 1 || s.ValidationFrequency is < 1
                || !(s.MixUp is null or (>= 0 and <= 4)) || s.Ensemble is < 1 or > MaxEnsemble || s.Member < 0 || s.Member >= s.Networks || s.ImageHeight is < 1 || s.ImageWidth is < 1 || !(s.ValidationSplit is null or (>= 0 and < 1)) || (s.Dataset is not null && !BuiltInDatasets.Names.Contains(s.Dataset)))
                throw new FoveaException($"{source}: the checkpoint holds no valid run settings");
            return s;
        }
        catch (JsonException e)
        {
            throw new FoveaException($"{source}: the checkpoint's run settings are malformed ({MetadataJson.Reason(e)})");
        }
    }
}
