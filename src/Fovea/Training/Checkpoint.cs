using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.IO;
using Fovea.Models;
using Fovea.Optimizers;

namespace Fovea.Training;

/// <summary>
/// Everything needed to continue a run bit for bit, in one safetensors file written atomically: the weights (named as
/// in a model file, so a checkpoint is also a loadable model), the optimiser's slots (<c>optimizer/m</c>, …) and, in
/// the metadata, its iteration count, the training state and history, the seed (the shuffles derive from it and the
/// epoch number, so it is the whole random state) and the caller's own settings.
/// </summary>
public static class Checkpoint
{
    /// <summary>The checkpoint format's version, stored in the metadata; a file of another version is refused.</summary>
    public const int Version = 1;

    private const string VersionKey = "checkpoint_version";
    private const string OptimizerKey = "optimizer";
    private const string StateKey = "training_state";
    internal const string SettingsKey = "settings";

    /// <summary>Set to "true" once a run in a folder has written its model: there is nothing left to resume.</summary>
    internal const string FinishedKey = "run_finished";

    /// <summary>The fixed settings of a run in a folder (<see cref="RunPlan"/>): a resumed run must continue with them.</summary>
    internal const string PlanKey = "run_plan";
    private const string SlotPrefix = "optimizer/";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Checkpoints <paramref name="model"/> at the state of its last <c>Fit</c> (<see cref="Trainer.State"/>).</summary>
    public static void Save(string path, Model model, IReadOnlyList<string>? classNames, string? settingsJson = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Save(path, model, Trainer.Of(model).State, classNames, settingsJson, runMetadata: null);
    }

    internal static void Save(string path, Model model, TrainingState state, IReadOnlyList<string>? classNames, string? settingsJson,
        IReadOnlyDictionary<string, string>? runMetadata)
    {
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("only a compiled model can be checkpointed");
        var slots = optimizer.GetSlots().Select(kv => new NamedTensor(SlotPrefix + kv.Key, new Shape(kv.Value.Length), kv.Value));
        var stateJson = new JsonObject
        {
            ["seed"] = model.Seed,
            ["completed_epochs"] = state.CompletedEpochs,
            ["steps_into_epoch"] = state.StepsIntoEpoch,
            ["loss_sum"] = state.LossSum,
            ["correct"] = state.Correct,
            ["seen"] = state.Seen,
            ["history"] = JsonSerializer.SerializeToNode(state.History.Epochs, Json),
        };
        var meta = new Dictionary<string, string>
        {
            [VersionKey] = Version.ToString(CultureInfo.InvariantCulture),
            [OptimizerKey] = new JsonObject
            {
                ["name"] = optimizer.Name,
                ["learning_rate"] = optimizer.LearningRate,
                ["iterations"] = optimizer.Iterations,
            }.ToJsonString(),
            [StateKey] = stateJson.ToJsonString(),
        };
        if (settingsJson is not null) meta[SettingsKey] = settingsJson;
        foreach (var (key, value) in runMetadata ?? new Dictionary<string, string>()) meta[key] = value;
        ModelFile.Save(model, path, classNames, slots, meta);
    }

    /// <summary>
    /// Loads a checkpoint into a compiled model whose architecture it must match. Returns the training state to pass
    /// to <c>Fit(resumeFrom:)</c> and the settings string saved with it.
    /// </summary>
    public static (TrainingState State, string? Settings) Load(string path, Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Optimizer is null) throw new InvalidOperationException("compile the model before loading a checkpoint into it");
        return Load(SafeTensors.Read(path), path, model);
    }

    /// <summary>Loads a checkpoint already read from <paramref name="path"/> (which only names it in messages).</summary>
    internal static (TrainingState State, string? Settings) Load(SafeTensorsFile file, string path, Model model)
    {
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("compile the model before loading a checkpoint into it");
        var meta = file.Metadata;
        if (!meta.TryGetValue(VersionKey, out var v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new InvalidDataFileException($"{path}: not a Fovea checkpoint (no valid checkpoint_version)");
        if (version > Version)
            throw new InvalidDataFileException($"{path}: written by a newer Fovea (checkpoint version {version}; this one reads up to {Version})");
        string expected = ModelFile.Metadata(model, null)[ModelFile.ArchitectureKey];
        if (meta.GetValueOrDefault(ModelFile.ArchitectureKey) != expected)
            throw new InvalidDataFileException($"{path}: the checkpoint was written for a different architecture than this run's model");
        var saved = ModelFile.Load(file, path);

        var opt = StateObject(meta, OptimizerKey, "optimizer state", path);
        string? savedName = opt["name"] is JsonValue n && n.TryGetValue(out string? name) ? name : null;
        if (savedName != optimizer.Name)
            throw new InvalidDataFileException(
                $"{path}: the checkpoint's optimizer is {(savedName is null ? "not named" : SafeTensorsText.Quote(savedName))}, this run's is '{optimizer.Name}'");
        long iterations = Member<long>(opt, "iterations", "optimizer state", path);
        if (iterations < 0) throw new InvalidDataFileException($"{path}: the optimizer state's iterations must be non-negative; got {iterations}");
        var slots = new Dictionary<string, float[]>();
        foreach (var (slot, own) in optimizer.GetSlots())
        {
            if (!file.TryGet(SlotPrefix + slot, out var t) || t.DType != SafeTensorsDType.F32 || t.Shape != new Shape(own.Length))
                throw new InvalidDataFileException($"{path}: optimizer slot '{slot}' must be F32({own.Length},)");
            slots[slot] = t.GetData<float>().ToArray();
        }

        var s = StateObject(meta, StateKey, "training state", path);
        long seed = Member<long>(s, "seed", "training state", path);
        if (seed != model.Seed)
            throw new InvalidDataFileException($"{path}: the checkpoint was trained with seed {seed}, this run uses {model.Seed}");
        List<EpochLog?> epochs;
        try
        {
            epochs = s["history"].Deserialize<List<EpochLog?>>(Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataFileException($"{path}: the training state's history is malformed ({MetadataJson.Reason(e)})");
        }
        int completed = Member<int>(s, "completed_epochs", "training state", path);
        var state = new TrainingState(completed, Member<int>(s, "steps_into_epoch", "training state", path), Member<double>(s, "loss_sum", "training state", path),
            Member<long>(s, "correct", "training state", path), Member<long>(s, "seen", "training state", path), new History(epochs.OfType<EpochLog>()));
        if (state.CompletedEpochs < 0 || state.StepsIntoEpoch < 0 || state.Seen < 0 || state.Correct < 0 || epochs.Count != completed || epochs.Contains(null))
            throw new InvalidDataFileException($"{path}: the training state is inconsistent (epoch {completed}, {epochs.Count} history rows)");

        // Only now, with everything checked: a checkpoint that fails to load leaves the model and optimiser as they were.
        saved.Model.Weights.CopyTo(model.Weights);
        optimizer.Restore(iterations, slots);
        return (state, meta.GetValueOrDefault(SettingsKey));
    }

    /// <summary>The JSON object stored under metadata <paramref name="key"/>; missing or malformed is a bad checkpoint.</summary>
    private static JsonObject StateObject(IReadOnlyDictionary<string, string> meta, string key, string what, string path)
    {
        if (!meta.TryGetValue(key, out var json)) throw new InvalidDataFileException($"{path}: the {what} is missing");
        try
        {
            return MetadataJson.Parse(json) as JsonObject ?? throw new InvalidDataFileException($"{path}: the {what} must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataFileException($"{path}: the {what} is not valid JSON ({MetadataJson.Reason(e)})");
        }
    }

    /// <summary>Member <paramref name="key"/> of <paramref name="obj"/> as a <typeparamref name="T"/>; missing, or of another type or range, is a bad checkpoint.</summary>
    private static T Member<T>(JsonObject obj, string key, string what, string path) =>
        obj[key] is JsonValue value && value.TryGetValue(out T? member) && member is not null
            ? member
            : throw new InvalidDataFileException(
                $"{path}: the {what}'s {key} must be {(typeof(T) == typeof(double) ? "a number" : "an integer")}; got {(obj[key] is { } got ? SafeTensorsText.Escape(got.ToJsonString(), 64) : "nothing")}");

    /// <summary>Whether a checkpoint's metadata marks its run finished (runs written before the marker had its own
    /// key kept it in their settings as <c>"finished": true</c>).</summary>
    internal static bool IsFinished(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.GetValueOrDefault(FinishedKey) == "true") return true;
        try
        {
            return metadata.GetValueOrDefault(SettingsKey) is { } settings && MetadataJson.Parse(settings) is JsonObject o
                && o["finished"] is JsonValue v && v.TryGetValue(out bool finished) && finished;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
