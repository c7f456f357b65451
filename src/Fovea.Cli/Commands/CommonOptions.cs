namespace Fovea.Cli.Commands;

internal static class CommonOptions
{
    public static void ApplyThreads(int? threads)
    {
        if (threads is null) return;
        if (threads < 1) throw new FoveaUsageException($"--threads must be at least 1; got {threads}");
        Engine.Threads = threads.Value;
    }
}
