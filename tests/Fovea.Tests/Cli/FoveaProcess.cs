using System.Diagnostics;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// Runs the built <c>fovea</c> program (the CLI project's output, built before the tests) as a child process, as a user
/// would, in an environment of the test's making: every <c>FOVEA_*</c> variable of the caller is removed (an API key,
/// a Winograd setting or a home folder would change what the program does), <c>FOVEA_HOME</c> names the test's own
/// folder, and only the variables the test passes are added.
/// </summary>
internal static class FoveaProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The <c>key=value</c> lines of stdout.</summary>
        public Dictionary<string, string> Values() => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains('='))
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);

    }

    /// <summary>src/Fovea.Cli/bin/&lt;configuration&gt;/&lt;framework&gt;/fovea.dll, matching this test assembly's own output folder.</summary>
    public static string Dll { get; } = ProgramPath();

    /// <summary>Runs the program with a home folder of its own, deleted afterwards: for commands that keep nothing between runs.</summary>
    public static async Task<Result> RunAsync(params string[] args)
    {
        using var home = new TempFolder();
        var (code, stdout, stderr) = await Task.Run(() => Run(home.Path, args));
        return new Result(code, stdout, stderr);
    }

    /// <summary>Starts the program with <c>FOVEA_HOME</c> = <paramref name="home"/>, no other inherited <c>FOVEA_*</c>, plus <paramref name="environment"/>.</summary>
    public static Process Start(string home, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (string name in info.Environment.Keys.Where(k => k.StartsWith("FOVEA_", StringComparison.OrdinalIgnoreCase)).ToArray())
            info.Environment.Remove(name);
        info.Environment["FOVEA_HOME"] = home;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return Process.Start(info)!;
    }

    public static Process Start(string home, params string[] args) => Start(home, args, environment: null);

    public static (int ExitCode, string Stdout, string Stderr) Run(string home, params string[] args) => Run(home, args, environment: null);

    public static (int ExitCode, string Stdout, string Stderr) Run(string home, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        using var p = Start(home, args, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"fovea {string.Join(' ', args)} did not finish in 3 minutes");
        }
        p.WaitForExit(); // flushes the redirected streams
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string ProgramPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name, configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "Fovea.Cli", "bin", configuration, framework, "fovea.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fovea.dll ({configuration}/{framework}) not found above {output.FullName}: build src/Fovea.Cli first");
    }

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    internal static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
