using Fovea.Models;
using Fovea.Training;

namespace Fovea.Cli;

/// <summary>Writes <c>checkpoint.safetensors</c> after every epoch (atomically, so a kill mid-write keeps the previous one).</summary>
internal sealed class CheckpointWriter(string path, IReadOnlyList<string> classNames, TrainSettings settings) : Callback
{
    private Model? _model;
    private TrainSettings _settings = settings;

    public override void OnTrainBegin(TrainingRun run) => _model = run.Model;

    public override void OnEpochEnd(EpochLog log) => Save();

    public void Save() => Checkpoint.Save(path, _model!, classNames, _settings.ToJson());

    /// <summary>Rewrites the checkpoint marked finished, so that --resume refuses to train a finished run further.</summary>
    public void MarkFinished()
    {
        _settings = _settings with { Finished = true };
        Save();
    }
}
