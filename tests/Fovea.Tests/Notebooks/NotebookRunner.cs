using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fovea.Tests.Visualization;

namespace Fovea.Tests.Notebooks;

/// <summary>
/// Executes a notebook of <c>notebooks/</c> headless, as CI does: packs Fovea into <c>artifacts/packages</c> (the
/// folder the notebooks' first cell names), then <c>jupyter nbconvert --to notebook --execute</c> with the .NET (C#)
/// kernel, and returns the executed notebook's JSON.
/// </summary>
internal static class NotebookRunner
{
    public const string Kernel = ".net-csharp";
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Where <c>dotnet tool install -g</c> puts tools; the kernel's launcher runs <c>dotnet interactive</c> from there.</summary>
    private static readonly string ToolsFolder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");

    private static readonly Lazy<string?> WhyNotLazy = new(FindWhyNot);

    /// <summary>Why notebooks cannot run here, or null when they can.</summary>
    public static string? WhyNot => WhyNotLazy.Value;

    public static string RepoRoot => RealData.RepoRoot ?? throw new DirectoryNotFoundException($"Fovea.slnx not found above {AppContext.BaseDirectory}");

    private static string? FindWhyNot()
    {
        const string install = "apt-get install jupyter-nbconvert jupyter-client python3-ipykernel; dotnet tool install -g Microsoft.dotnet-interactive; dotnet interactive jupyter install";
        if (RealData.RepoRoot is null) return $"not in a checkout: no Fovea.slnx above {AppContext.BaseDirectory}";
        try
        {
            var kernels = ExternalProcess.Run("jupyter", ["kernelspec", "list"], TimeSpan.FromMinutes(1), ChildEnvironment());
            if (kernels.ExitCode != 0) return $"jupyter kernelspec list failed ({kernels.ExitCode}): {install}";
            if (!Regex.IsMatch(kernels.StandardOutput, $@"^\s*{Regex.Escape(Kernel)}\s", RegexOptions.Multiline))
                return $"the .NET Interactive kernel ({Kernel}) is not installed for Jupyter: {install}";
            var nbconvert = ExternalProcess.Run("jupyter", ["nbconvert", "--version"], TimeSpan.FromMinutes(1), ChildEnvironment());
            if (nbconvert.ExitCode != 0) return $"jupyter nbconvert is not installed: {install}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"jupyter is not installed: {install}";
        }
        if (!File.Exists(Path.Combine(ToolsFolder, "dotnet-interactive")) && FindOnPath("dotnet-interactive") is null)
            return $"dotnet-interactive is not installed: {install}";
        return null;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static readonly Lazy<bool> Packed = new(PackLocalFeed);

    /// <summary>
    /// Packs the four packages the notebooks reference into <c>artifacts/packages</c>, once per test run, from the
    /// Release build that the tests were built with where it is up to date.
    /// </summary>
    public static void EnsurePacked() => _ = Packed.Value;

    private static bool PackLocalFeed()
    {
        string repo = RepoRoot;
        string solution = Path.Combine(Path.GetTempPath(), $"fovea-notebook-packages-{Guid.NewGuid():N}.slnx");
        File.WriteAllText(solution, "<Solution>\n" + string.Concat(
            new[] { "Fovea", "Fovea.Imaging", "Fovea.Visualization", "Fovea.Interactive" }
                .Select(p => $"  <Project Path=\"{Path.Combine(repo, "src", p, p + ".csproj")}\" />\n")) + "</Solution>\n");
        try
        {
            var pack = ExternalProcess.Run(DotnetHost(), ["pack", solution, "-c", "Release", "-o", Path.Combine(repo, "artifacts", "packages"),
                "--nologo", "--disable-build-servers", "-v:q"], PackTimeout, ChildEnvironment());
            Assert.True(pack.ExitCode == 0, $"dotnet pack exited with {pack.ExitCode}:\n{pack.StandardOutput}\n{pack.StandardError}");
            return true;
        }
        finally
        {
            File.Delete(solution);
        }
    }

    /// <summary>
    /// Runs <paramref name="notebook"/> (a file name in <c>notebooks/</c>) with <paramref name="variables"/> set, writes
    /// the executed copy into <paramref name="outputFolder"/> and returns it parsed, with nbconvert's output.
    /// </summary>
    public static (JsonObject Notebook, string Log) Execute(string notebook, string outputFolder, IReadOnlyDictionary<string, string> variables)
    {
        string repo = RepoRoot;
        var environment = ChildEnvironment();
        // A package folder of the notebooks' own, kept between runs so that dependencies are fetched once: Fovea's
        // packages are always 0.1.0 locally, so a copy restored from an older pack would be taken over the new one;
        // they are removed before each run. The user's own package folder is left alone for the same reason.
        string packages = Path.Combine(repo, "artifacts", "notebook-packages");
        if (Directory.Exists(packages))
            foreach (string folder in Directory.GetDirectories(packages, "fovea*"))
                Directory.Delete(folder, recursive: true);
        environment["NUGET_PACKAGES"] = packages;
        foreach (var (name, value) in variables) environment[name] = value;

        var run = ExternalProcess.Run("jupyter", ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900",
            "--ExecutePreprocessor.kernel_name=" + Kernel, "--output-dir", outputFolder, Path.Combine(repo, "notebooks", notebook)], RunTimeout, environment);
        string log = run.StandardOutput + run.StandardError;
        Assert.True(run.ExitCode == 0, $"jupyter nbconvert --execute {notebook} exited with {run.ExitCode}:\n{log}");
        string executed = Path.Combine(outputFolder, notebook);
        return (JsonNode.Parse(File.ReadAllText(executed))!.AsObject(), log);
    }

    /// <summary>Every output of every code cell.</summary>
    public static IEnumerable<JsonObject> Outputs(JsonObject notebook) =>
        notebook["cells"]!.AsArray().Select(c => c!.AsObject())
            .Where(c => (string?)c["cell_type"] == "code")
            .SelectMany(c => c["outputs"]!.AsArray().Select(o => o!.AsObject()));

    /// <summary>The text of an output: a stream's text, or a display's text/plain and text/html.</summary>
    public static string Text(JsonObject output)
    {
        static string Join(JsonNode? node) => node switch
        {
            JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
            JsonValue value => (string?)value ?? "",
            _ => "",
        };
        if (output["text"] is { } text) return Join(text);
        var data = output["data"]?.AsObject();
        return data is null ? "" : Join(data["text/plain"]) + Join(data["text/html"]);
    }

    /// <summary>The base64 PNGs shown inline.</summary>
    public static IEnumerable<string> Pngs(JsonObject notebook) =>
        Outputs(notebook).Select(o => o["data"]?["image/png"]).Where(png => png is not null).Select(png => png switch
        {
            JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
            _ => (string?)png ?? "",
        });

    private static Dictionary<string, string?> ChildEnvironment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1",
            ["MSBUILDNODEWINDOW"] = null,
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") + Path.PathSeparator + ToolsFolder,
        };
        // The settings dotnet test passes down would steer the nested builds (the pack and the kernel's restore).
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name is "DOTNET_HOST_PATH" or "VSTEST_HOST_DEBUG")
                environment[name] = null;
        return environment;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
