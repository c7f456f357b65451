using Fovea.Data;
using Spectre.Console;

namespace Fovea.Cli;

/// <summary>Finds CIFAR-10: the path given with --data, else the cache, downloading it there on first use.</summary>
internal static class DataResolver
{
    public static Cifar10Dataset Load(string? path, int? trainLimit, CancellationToken ct)
    {
        path ??= Download(ct);
        return Cifar10.Load(path, trainLimit);
    }

    private static string Download(CancellationToken ct)
    {
        if (Console.IsErrorRedirected || Console.IsOutputRedirected)
        {
            Console.Error.WriteLine($"looking for CIFAR-10 in {FoveaHome.Datasets} (downloading it on first use)");
            return Cifar10Download.EnsureAsync(ct: ct).GetAwaiter().GetResult();
        }
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("CIFAR-10", autoStart: true, maxValue: 170_052_171);
                var progress = new SyncProgress(p =>
                {
                    if (p.TotalBytes is { } total) task.MaxValue = total;
                    task.Value = p.BytesReceived;
                });
                return Cifar10Download.EnsureAsync(progress: progress, ct: ct).GetAwaiter().GetResult();
            });
    }

    /// <summary>Reports on the downloading thread; <see cref="Progress{T}"/> would post each of ~2,600 reports to the thread pool.</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
