namespace Fovea.Cli;

/// <summary>
/// The folder a training run writes into. Checked before training starts, so that a typo or a full disk is an
/// error now rather than after an hour of training.
/// </summary>
internal sealed class RunFolder
{
    /// <summary>Room for the model, checkpoints, pictures and report, with a wide margin.</summary>
    private const long RequiredFreeBytes = 64L << 20;

    private RunFolder(string path) => Path = path;

    public string Path { get; }
    public string ModelPath => System.IO.Path.Combine(Path, "model.safetensors");
    public string HistoryPath => System.IO.Path.Combine(Path, "history.csv");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.json");

    public static RunFolder Create(string? requested)
    {
        string path = System.IO.Path.GetFullPath(requested ?? System.IO.Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
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
        long free = new DriveInfo(path).AvailableFreeSpace;
        if (free < RequiredFreeBytes)
            throw new FoveaException($"the run folder {path} has only {free >> 20} MB free; at least {RequiredFreeBytes >> 20} MB are needed");
        return new RunFolder(path);
    }
}
