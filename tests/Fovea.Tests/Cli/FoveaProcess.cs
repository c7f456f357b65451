using System.Diagnostics;

namespace Fovea.Tests.Cli;

/// <summary>Runs the built <c>fovea</c> program (the CLI project's output, built before the tests) as a child process, as a user would.</summary>
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

    public static async Task<Result> RunAsync(params string[] args)
    {
        var (code, stdout, stderr) = await Task.Run(() => Run(home: null, args));
        return new Result(code, stdout, stderr);
    }

    /// <summary>Starts the program with its own <c>FOVEA_HOME</c> (when given), so no test touches the user's cache.</summary>
    public static Process Start(string? home, params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        if (home is not null) info.Environment["FOVEA_HOME"] = home;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info)!;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string? home, params string[] args)
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
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
