namespace Fovea.Tests.Visualization;

/// <summary>
/// A Fact that runs only where a private mount namespace can be made (root with util-linux's unshare, as on the
/// developers' machines and CI); elsewhere it is reported skipped with the reason.
/// </summary>
public sealed class BareFontsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    public BareFontsFactAttribute()
    {
        if (WhyNot.Value is string reason) Skip = reason;
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux mount namespaces";
        if (!Directory.Exists("/usr/share/fonts")) return "/usr/share/fonts does not exist: this machine has no system fonts to hide";
        try
        {
            var result = ExternalProcess.Run("unshare", ["-m", "sh", "-c", "mount -t tmpfs none /usr/share/fonts"], TimeSpan.FromSeconds(20));
            return result.ExitCode == 0 ? null : $"cannot hide /usr/share/fonts in a mount namespace: {result.StandardError.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"unshare is not available: {e.Message}";
        }
    }
}
