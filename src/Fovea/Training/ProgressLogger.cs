using System.Diagnostics;
using System.Globalization;

namespace Fovea.Training;

/// <summary>
/// Keras-style progress (verbose=1): a live bar per epoch with steps, ETA, running loss and accuracy, then one
/// line per epoch. When the output is not a terminal only the epoch lines are written, so logs stay readable.
/// </summary>
public sealed class ProgressLogger(TextWriter writer, bool live) : Callback
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _epochClock = new();
    private TimeSpan _lastDraw;
    private TrainingRun? _run;
    private bool _barShown;

    /// <summary>Writes to the console, with a live bar only when the output is a terminal.</summary>
    public ProgressLogger() : this(Console.Out, !Console.IsOutputRedirected) { }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingRun run) => _run = run;

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch)
    {
        writer.WriteLine($"Epoch {epoch}/{_run!.Epochs}");
        _epochClock.Restart();
        _lastDraw = TimeSpan.Zero;
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(int epoch, int step, double loss, double accuracy)
    {
        if (!live) return;
        var elapsed = _epochClock.Elapsed;
        int steps = _run!.StepsPerEpoch;
        if (step < steps && elapsed - _lastDraw < RefreshInterval) return;
        _lastDraw = elapsed;
        double eta = elapsed.TotalSeconds / step * (steps - step);
        writer.Write($"\r{Bar(step, steps)} - ETA: {FormatSeconds(eta)} - loss: {F(loss)} - accuracy: {F(accuracy)}   ");
        writer.Flush();
        _barShown = true;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochLog log)
    {
        int steps = _run!.StepsPerEpoch;
        var line = $"{Bar(steps, steps)} - {log.Seconds:F0}s {log.Seconds * 1000 / steps:F0}ms/step - loss: {F(log.Loss)} - accuracy: {F(log.Accuracy)}";
        if (log.ValLoss is { } vl) line += $" - val_loss: {F(vl)} - val_accuracy: {F(log.ValAccuracy ?? 0)}";
        writer.WriteLine((live ? "\r" : "") + line + (live ? "   " : ""));
        writer.Flush();
        _barShown = false;
    }

    /// <summary>A run stopped mid-epoch leaves its bar on the line; end it so later messages start on their own.</summary>
    public override void OnTrainEnd(History history)
    {
        if (!_barShown) return;
        writer.WriteLine();
        _barShown = false;
    }

    private static string Bar(int step, int steps)
    {
        int filled = steps == 0 ? BarWidth : (int)((long)step * BarWidth / steps);
        string bar = step >= steps ? new string('=', BarWidth) : new string('=', Math.Max(0, filled - 1)) + ">" + new string('.', BarWidth - Math.Max(1, filled));
        string width = steps.ToString(CultureInfo.InvariantCulture);
        return $"{step.ToString(CultureInfo.InvariantCulture).PadLeft(width.Length)}/{width} [{bar}]";
    }

    private static string FormatSeconds(double s) => s >= 60 ? $"{(int)s / 60}:{(int)s % 60:00}" : $"{s:F0}s";
    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
