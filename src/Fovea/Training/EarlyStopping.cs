namespace Fovea.Training;

/// <summary>
/// Keras's <c>EarlyStopping(monitor="val_loss", patience=…, restore_best_weights=True)</c>: stops when the validation
/// loss has not improved for <see cref="Patience"/> epochs and puts back the weights of the best epoch.
/// </summary>
public sealed class EarlyStopping : Callback
{
    private Models.Model? _model;
    private int _validationFrequency = 1;
    private float[]? _bestWeights;
    private int _wait;

    /// <summary>Stops after <paramref name="patience"/> epochs without a validation loss better than the best by more than
    /// <paramref name="minDelta"/>; with <paramref name="restoreBestWeights"/>, the model ends with the best epoch's weights.</summary>
    public EarlyStopping(int patience, bool restoreBestWeights = true, double minDelta = 0)
    {
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), $"patience must be at least 1; got {patience}");
        if (!(minDelta >= 0)) throw new ArgumentOutOfRangeException(nameof(minDelta), $"minDelta must be non-negative; got {minDelta}");
        Patience = patience;
        RestoreBestWeights = restoreBestWeights;
        MinDelta = minDelta;
    }

    /// <summary>Epochs without improvement tolerated before stopping.</summary>
    public int Patience { get; }
    /// <summary>Whether the best epoch's weights are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }
    /// <summary>How much the validation loss must fall to count as an improvement.</summary>
    public double MinDelta { get; }
    /// <summary>The lowest validation loss seen so far.</summary>
    public double BestValLoss { get; private set; } = double.PositiveInfinity;
    /// <summary>The 0-based epoch of <see cref="BestValLoss"/>.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>True once the validation loss has gone <see cref="Patience"/> epochs without improving.</summary>
    public bool PatienceExhausted => _wait >= Patience;

    /// <summary>The epoch at which training was stopped, or 0 if it ran to the end.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>Raised after an epoch that improved on the best validation loss, with the model holding that epoch's weights.</summary>
    public event Action<EpochLog>? Improved;

    /// <summary>Picks up where an earlier run left off: best and patience from its history, best weights from its best model.</summary>
    public void Resume(History history, float[]? bestWeights)
    {
        ArgumentNullException.ThrowIfNull(history);
        Reset();
        foreach (var log in history.Epochs) Track(log);
        _bestWeights = bestWeights;
        _resumed = true;
    }

    private bool _resumed;

    /// <summary>Like Keras, each Fit starts afresh, unless <see cref="Resume"/> prepared this one.</summary>
    public override void OnTrainBegin(TrainingRun run)
    {
        _model = run.Model;
        _validationFrequency = run.ValidationFrequency;
        if (!_resumed) Reset();
        _resumed = false;
    }

    private void Reset()
    {
        (_wait, BestValLoss, BestEpoch, StoppedEpoch, _bestWeights) = (0, double.PositiveInfinity, 0, 0, null);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochLog log)
    {
        if (log.ValLoss is null)
        {
            // Between validations (Fit's validationFrequency) there is nothing to judge: patience counts validations, as in Keras.
            if (_validationFrequency > 0) return;
            throw new InvalidOperationException("EarlyStopping monitors val_loss: pass validationData to Fit");
        }
        if (Track(log))
        {
            _bestWeights ??= new float[_model!.Weights.Length];
            _model!.Weights.CopyTo(_bestWeights);
            Improved?.Invoke(log);
        }
        else if (_wait >= Patience)
        {
            StoppedEpoch = log.Epoch;
            _model!.StopTraining = true;
            if (RestoreBestWeights && _bestWeights is not null) _bestWeights.CopyTo(_model.Weights);
        }
    }

    private bool Track(EpochLog log)
    {
        if (log.ValLoss is not { } loss) return false;
        if (loss < BestValLoss - MinDelta)
        {
            (BestValLoss, BestEpoch, _wait) = (loss, log.Epoch, 0);
            return true;
        }
        _wait++;
        return false;
    }
}
