using Fovea.IO;

namespace Fovea.Training;

/// <summary>
/// The folder a training run writes into (<see cref="Trainer.Run"/>): its checkpoint, best model, history and, once
/// finished, its model. Checked before training starts, so that a typo or a full disk is an error now rather than
/// after an hour of training; locked while open, so that two processes never write one run.
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>Room for the model, checkpoints, pictures and report, with a wide margin.</summary>
    private const long RequiredFreeBytes = 64L << 20;

    private RunFolder(string path, bool created, FileStream runLock) => (Path, _created, _lock) = (path, created, runLock);

    private readonly bool _created;

    /// <summary>
    /// Held for the life of the process: a second fovea writing the same folder (two runs started in the same second,
    /// or two resumes) is refused. The kernel drops the lock when a process dies, even by SIGKILL.
    /// </summary>
    private readonly FileStream _lock;
    private const string LockFile = ".fovea.lock";

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>True for a folder opened with <see cref="Existing"/>: <see cref="Trainer.Run"/> continues its run.</summary>
    public bool Resumes { get; private set; }
    /// <summary>The finished model, <c>model.safetensors</c>.</summary>
    public string ModelPath => System.IO.Path.Combine(Path, "model.safetensors");
    /// <summary>The per-epoch metrics, <c>history.csv</c>.</summary>
    public string HistoryPath => System.IO.Path.Combine(Path, "history.csv");
    /// <summary>The final metrics, <c>metrics.json</c>.</summary>
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.json");
    /// <summary>The checkpoint to resume from, <c>checkpoint.safetensors</c>.</summary>
    public string CheckpointPath => System.IO.Path.Combine(Path, "checkpoint.safetensors");
    /// <summary>The model of the best epoch, <c>best.safetensors</c>.</summary>
    public string BestModelPath => System.IO.Path.Combine(Path, "best.safetensors");
    /// <summary>A grid of training images, <c>samples.png</c>.</summary>
    public string SamplesPath => System.IO.Path.Combine(Path, "samples.png");
    /// <summary>The loss curves, <c>loss.png</c>.</summary>
    public string LossChartPath => System.IO.Path.Combine(Path, "loss.png");
    /// <summary>The accuracy curves, <c>accuracy.png</c>.</summary>
    public string AccuracyChartPath => System.IO.Path.Combine(Path, "accuracy.png");
    /// <summary>Test images with their predictions, <c>predictions.png</c>.</summary>
    public string PredictionsPath => System.IO.Path.Combine(Path, "predictions.png");
    /// <summary>The confusion matrix, <c>confusion.png</c>.</summary>
    public string ConfusionPath => System.IO.Path.Combine(Path, "confusion.png");
    /// <summary>The reliability diagram of the test set, before and after the model's temperature, <c>reliability.png</c>.</summary>
    public string ReliabilityPath => System.IO.Path.Combine(Path, "reliability.png");
    /// <summary>The test images of highest loss, <c>top_losses.png</c>.</summary>
    public string TopLossesPath => System.IO.Path.Combine(Path, "top_losses.png");
    /// <summary>The run's HTML report, <c>report.html</c>.</summary>
    public string ReportPath => System.IO.Path.Combine(Path, "report.html");

    /// <summary>Files whose presence means the folder already holds a run.</summary>
    private static readonly string[] RunFiles = ["model.safetensors", "checkpoint.safetensors", "best.safetensors", "history.csv", "metrics.json"];

    /// <summary>The pictures and report of a finished run: replaced along with it, but not enough to mark a folder as a run.</summary>
    public static IReadOnlyList<string> ReportFiles { get; } = ["samples.png", "loss.png", "accuracy.png", "predictions.png", "confusion.png", "reliability.png", "top_losses.png", "report.html"];

    /// <summary>A new run's folder: refused if it already holds a run, unless <paramref name="overwrite"/>.</summary>
    public static RunFolder Create(string? requested, bool overwrite)
    {
        string path = System.IO.Path.GetFullPath(requested ?? System.IO.Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        var existing = ExistingRunFiles(path);
        if (existing.Count > 0 && !overwrite)
            throw new FoveaException($"{path} already holds a run ({string.Join(", ", existing)}); resume it, or overwrite it");
        var folder = Open(path);
        folder._replaced = [.. existing];
        return folder;
    }

    private List<string> _replaced = [];

    /// <summary>The files in <paramref name="path"/> that show it already holds a run; empty for a new folder.</summary>
    public static IReadOnlyList<string> ExistingRunFiles(string path) =>
        RunFiles.Where(f => File.Exists(System.IO.Path.Combine(System.IO.Path.GetFullPath(path), f))).ToList();

    /// <summary>
    /// With --overwrite, deletes the old run's files so none can be mistaken for the new run's. Called only once the new
    /// run has its data and model, so a mistake on the command line does not cost the old run.
    /// </summary>
    public void ClearReplacedRun()
    {
        if (_replaced.Count == 0) return;
        foreach (var f in _replaced.Concat(ReportFiles)) File.Delete(System.IO.Path.Combine(Path, f));
        _replaced = [];
    }

    /// <summary>The folder of a run to resume; it must hold a checkpoint.</summary>
    public static RunFolder Existing(string requested)
    {
        string path = System.IO.Path.GetFullPath(requested);
        if (!File.Exists(System.IO.Path.Combine(path, "checkpoint.safetensors")))
            throw new FoveaException($"cannot resume: {path} holds no checkpoint.safetensors");
        var folder = Open(path);
        folder.Resumes = true;
        return folder;
    }

    /// <summary>
    /// Makes the next <see cref="Trainer.Run"/> in this folder start a new run, replacing the checkpoint and history of
    /// the one before, rather than resume it: an ensemble trains its members one after another in one folder.
    /// </summary>
    public void StartNewRun() => Resumes = false;

    /// <summary>
    /// The caller's settings saved with the run's checkpoint (<see cref="RunPlan.Settings"/>), to start the resumed run
    /// exactly as it began; refuses a finished run, which has nothing to resume.
    /// </summary>
    public string? SavedSettings()
    {
        var metadata = SafeTensors.Read(CheckpointPath).Metadata;
        if (Checkpoint.IsFinished(metadata))
            throw new FoveaException($"{Path} holds a finished run; there is nothing to resume (its model is {ModelPath})");
        return metadata.GetValueOrDefault(Checkpoint.SettingsKey);
    }

    private static RunFolder Open(string path)
    {
        bool created = !Directory.Exists(path);
        try
        {
            Directory.CreateDirectory(path);
            string probe = System.IO.Path.Combine(path, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, new byte[4096]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new FoveaException($"cannot write to the run folder {path}: {e.Message}");
        }
        FileStream runLock;
        try
        {
            runLock = new FileStream(System.IO.Path.Combine(path, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None,
                bufferSize: 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new FoveaException($"another process is using the run folder {path}");
        }
        long free = new DriveInfo(path).AvailableFreeSpace;
        if (free < RequiredFreeBytes)
            throw new FoveaException($"the run folder {path} has only {free >> 20} MB free; at least {RequiredFreeBytes >> 20} MB are needed");
        return new RunFolder(path, created, runLock);
    }

    /// <summary>Releases the folder's lock (and removes its lock file).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>Removes the folder again if this run created it and nothing was written into it (the run failed early).</summary>
    public void RemoveIfUnused()
    {
        try
        {
            _lock.Dispose();
            if (_created && !Directory.EnumerateFileSystemEntries(Path).Any()) Directory.Delete(Path);
        }
        catch (IOException)
        {
            // Best effort: an empty folder left behind is harmless.
        }
    }
}
