using System.Globalization;
using System.Text.Json.Nodes;

namespace Fovea.Training;

/// <summary>
/// What a run in a folder (<see cref="Trainer.Run"/>) trains with. Fixed when the run starts and kept in its
/// checkpoint: a resumed run must be given the same plan, so that it continues bit for bit.
/// </summary>
public sealed record RunPlan
{
    /// <summary>Epochs to train for in total.</summary>
    public required int Epochs { get; init; }
    /// <summary>Samples per training step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Skip each epoch's last partial batch (<c>Fit</c>'s <c>dropRemainder</c>).</summary>
    public bool DropRemainder { get; init; }

    /// <summary>Stop when val_loss has not improved for this many epochs, put back the best weights and keep them as
    /// the folder's best model; null trains every epoch.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Validate every this many epochs and after the last (<c>Fit</c>'s <c>validationFrequency</c>). Not part
    /// of what a resumed run must match: validation changes no weights.</summary>
    public int ValidationFrequency { get; init; } = 1;

    /// <summary>Saved with every checkpoint and model of the run.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The caller's own settings (e.g. JSON of its options), saved with every checkpoint and given back by
    /// <see cref="RunFolder.SavedSettings"/>, so that a resumed run can be set up exactly as it began.</summary>
    public string? Settings { get; init; }

    /// <summary>The plan's fixed values as the checkpoint records them.</summary>
    internal string ToJson() => new JsonObject
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["drop_remainder"] = DropRemainder,
        ["early_stopping"] = EarlyStoppingPatience,
    }.ToJsonString();

    /// <summary>Refuses to continue a run whose checkpoint recorded a different plan (none recorded: not checked).</summary>
    internal void CheckResumes(string? recorded, string path)
    {
        if (recorded is not null && recorded != ToJson())
            throw new FoveaException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: the run was started with {recorded}; resume it with the same epochs, batch size, remainder and early stopping (got {ToJson()})"));
    }
}

/// <summary>How a <see cref="Trainer.Run"/> ended: its history, and whether it was interrupted (checkpoint saved, to be resumed).</summary>
public sealed record RunResult(History History, bool Interrupted);
