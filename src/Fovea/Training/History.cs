namespace Fovea.Training;

/// <summary>
/// What <c>Fit</c> returns: one <see cref="EpochLog"/> per epoch. <c>history["val_loss"]</c> gives a series by its
/// Keras name, as <c>history.history['val_loss']</c> does.
/// </summary>
public sealed class History
{
    private readonly List<EpochLog> _epochs = [];

    /// <summary>An empty history.</summary>
    public History() { }
    /// <summary>A history of <paramref name="epochs"/>, e.g. read back from a checkpoint.</summary>
    public History(IEnumerable<EpochLog> epochs) => _epochs.AddRange(epochs);

    /// <summary>One log per completed epoch, in order.</summary>
    public IReadOnlyList<EpochLog> Epochs => _epochs;

    /// <summary>Appends the log of the epoch just completed.</summary>
    public void Add(EpochLog log) => _epochs.Add(log);

    /// <summary>A metric series by its Keras name: loss, accuracy, val_loss, val_accuracy, seconds.</summary>
    public IReadOnlyList<double> this[string metric] => metric switch
    {
        "loss" => _epochs.Select(e => e.Loss).ToList(),
        "accuracy" => _epochs.Select(e => e.Accuracy).ToList(),
        "val_loss" => _epochs.Where(e => e.ValLoss.HasValue).Select(e => e.ValLoss!.Value).ToList(),
        "val_accuracy" => _epochs.Where(e => e.ValAccuracy.HasValue).Select(e => e.ValAccuracy!.Value).ToList(),
        "seconds" => _epochs.Select(e => e.Seconds).ToList(),
        _ => throw new KeyNotFoundException($"metric must be one of loss, accuracy, val_loss, val_accuracy, seconds; got '{metric}'"),
    };
}
