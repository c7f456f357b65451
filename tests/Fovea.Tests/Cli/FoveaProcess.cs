using System.Diagnostics;

namespace Fovea.Tests.Cli;

/// <summary>Runs the built <c>fovea</c> program as a child process, as a user would, with its own FOVEA_HOME.</summary>
internal static class FoveaProcess
{
    /// <summary>src/Fovea.Cli/bin/&lt;same configuration as the tests&gt;/net10.0/fovea.dll</summary>
    public static string Dll { get; } = Locate();

    private static string Locate()
    {
        string root = RealData.RepoRoot ?? throw new InvalidOperationException("cannot find the repository root (Fovea.slnx) above " + AppContext.BaseDirectory);
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        string dll = Path.Combine(root, "src", "Fovea.Cli", "bin", configuration, "net10.0", "fovea.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the CLI first: {dll} is missing");
    }

    public static Process Start(string home, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["FOVEA_HOME"] = home;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info)!;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string home, params string[] args)
    {
        using var p = Start(home, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"fovea {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
