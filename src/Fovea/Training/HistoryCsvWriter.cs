using Fovea.IO;
using System.Globalization;
using System.Text;

namespace Fovea.Training;

/// <summary>Rewrites <c>history.csv</c> after every epoch, so a stopped run still shows how far it got.</summary>
internal sealed class HistoryCsvWriter(string path, IEnumerable<EpochLog> earlier) : Callback
{
    public const string Header = "epoch,loss,accuracy,val_loss,val_accuracy,seconds";
    private readonly List<EpochLog> _logs = [.. earlier];

    public override void OnEpochEnd(EpochLog log)
    {
        _logs.Add(log);
        Write(path, _logs);
    }

    public static void Write(string path, IEnumerable<EpochLog> logs)
    {
        var csv = new StringBuilder(Header).Append('\n');
        foreach (var e in logs)
            csv.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.Loss:R},{e.Accuracy:R},{e.ValLoss:R},{e.ValAccuracy:R},{e.Seconds:F3}\n");
        AtomicFile.WriteAllText(path, csv.ToString());
    }
}
