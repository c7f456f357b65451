using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Serialization;

namespace Fovea.Training;

/// <summary>
/// Everything needed to continue a run bit for bit, in one safetensors file written atomically: the weights (named as
/// in a model file, so a checkpoint is also a loadable model), the optimiser's slots (<c>optimizer/m</c>, …) and, in
/// the metadata, its iteration count, the training state and history, the seed (the shuffles derive from it and the
/// epoch number, so it is the whole random state) and the caller's own settings.
/// </summary>
public static class Checkpoint
{
    public const int Version = 1;

    private const string VersionKey = "checkpoint_version";
    private const string OptimizerKey = "optimizer";
    private const string StateKey = "training_state";
    private const string SettingsKey = "settings";
    private const string SlotPrefix = "optimizer/";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Save(string path, Sequential model, IReadOnlyList<string>? classNames, string? settingsJson = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("only a compiled model can be checkpointed");
        var state = model.State;
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
        ModelFile.Save(model, path, classNames, slots, meta);
    }

    /// <summary>
    /// Loads a checkpoint into a compiled model whose architecture it must match. Returns the training state to pass
    /// to <c>Fit(resumeFrom:)</c> and the settings string saved with it.
    /// </summary>
    public static (TrainingState State, string? Settings) Load(string path, Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("compile the model before loading a checkpoint into it");
        var file = SafeTensors.Read(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue(VersionKey, out var v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new InvalidDataFileException($"{path}: not a Fovea checkpoint (no valid checkpoint_version)");
        if (version > Version)
            throw new InvalidDataFileException($"{path}: written by a newer Fovea (checkpoint version {version}; this one reads up to {Version})");
        string expected = ModelFile.Metadata(model, null)[ModelFile.ArchitectureKey];
        if (meta.GetValueOrDefault(ModelFile.ArchitectureKey) != expected)
            throw new InvalidDataFileException($"{path}: the checkpoint was written for a different architecture than this run's model");
        var saved = ModelFile.Load(file, path);
        saved.Model.Weights.CopyTo(model.Weights);

        try
        {
            var opt = JsonNode.Parse(meta.GetValueOrDefault(OptimizerKey) ?? "null") as JsonObject
                ?? throw new InvalidDataFileException($"{path}: the optimizer state is missing");
            if (opt["name"]?.GetValue<string>() != optimizer.Name)
                throw new InvalidDataFileException($"{path}: the checkpoint's optimizer is '{opt["name"]}', this run's is '{optimizer.Name}'");
            long iterations = opt["iterations"]!.GetValue<long>();
            var slots = new Dictionary<string, float[]>();
            foreach (var (name, own) in optimizer.GetSlots())
            {
                if (!file.TryGet(SlotPrefix + name, out var t) || t.DType != SafeTensorsDType.F32 || t.Shape != new Shape(own.Length))
                    throw new InvalidDataFileException($"{path}: optimizer slot '{name}' must be F32({own.Length},)");
                slots[name] = t.GetData<float>().ToArray();
            }
            optimizer.Restore(iterations, slots);

            var s = JsonNode.Parse(meta.GetValueOrDefault(StateKey) ?? "null") as JsonObject
                ?? throw new InvalidDataFileException($"{path}: the training state is missing");
            long seed = s["seed"]!.GetValue<long>();
            if (seed != model.Seed)
                throw new InvalidDataFileException($"{path}: the checkpoint was trained with seed {seed}, this run uses {model.Seed}");
            var epochs = s["history"].Deserialize<List<EpochLog>>(Json) ?? [];
            var state = new TrainingState(s["completed_epochs"]!.GetValue<int>(), s["steps_into_epoch"]!.GetValue<int>(),
                s["loss_sum"]!.GetValue<double>(), s["correct"]!.GetValue<long>(), s["seen"]!.GetValue<long>(), new History(epochs));
            if (state.CompletedEpochs < 0 || state.StepsIntoEpoch < 0 || state.Seen < 0 || state.Correct < 0 || epochs.Count != state.CompletedEpochs)
                throw new InvalidDataFileException($"{path}: the training state is inconsistent (epoch {state.CompletedEpochs}, {epochs.Count} history rows)");
            return (state, meta.GetValueOrDefault(SettingsKey));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            throw new InvalidDataFileException($"{path}: the checkpoint's state is malformed ({e.Message.Split('\n')[0]})");
        }
    }
}
