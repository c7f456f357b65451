using System.IO.Compression;
using System.Security;
using System.Text;
using System.Xml.Linq;
using Fovea.Tests.Data;
using Fovea.Tests.Visualization;
using TempFolder = Fovea.Tests.Data.TempFolder;
using Xunit.Abstractions;

namespace Fovea.Tests.Packaging;

/// <summary>
/// SLOW (about a minute, more on a busy machine): packs the four packages as <c>dotnet pack -c Release</c> does, checks
/// what each carries, then builds a fresh console app that takes the Fovea package from that folder (its dependencies
/// from the machine's usual NuGet sources, into a package folder of the test's own) and runs the README's model code.
/// Run alone with <c>--filter Category=Slow</c>; leave out with <c>--filter Category!=Slow</c>.
/// </summary>
public class PackageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    [Trait("Category", "Slow")]
    public void The_packed_library_runs_the_readme_model_in_a_fresh_console_app()
    {
        string repo = RepositoryRoot();
        using var temp = new TempFolder();
        string feed = temp["feed"];

        // All four in one invocation. It reuses the Release build the tests were built with (nothing is recompiled when
        // that is up to date), which keeps the test near a minute; a separate --artifacts-path took twice as long.
        string solution = temp["packages.slnx"];
        File.WriteAllText(solution, "<Solution>\n" + string.Concat(
            new[] { "Fovea", "Fovea.Imaging", "Fovea.Visualization", "Fovea.Serving", "Fovea.Cli" }.Select(p => $"  <Project Path=\"{Path.Combine(repo, "src", p, p + ".csproj")}\" />\n")) + "</Solution>\n");
        Dotnet("pack", solution, "-c", "Release", "-o", feed);

        string[] packages = Directory.GetFiles(feed).Select(Path.GetFileName).Order().ToArray()!;
        output.WriteLine("packed: " + string.Join(", ", packages));
        string version = packages.Select(p => System.Text.RegularExpressions.Regex.Match(p, @"^Fovea\.(\d.*)\.nupkg$")).Single(m => m.Success).Groups[1].Value;
        foreach (string id in new[] { "Fovea", "Fovea.Imaging", "Fovea.Visualization", "Fovea.Serving", "Fovea.Cli" })
        {
            Assert.Contains($"{id}.{version}.nupkg", packages);
            Assert.Contains($"{id}.{version}.snupkg", packages);
        }

        CheckPackage(feed, "Fovea", version, library: "Fovea.Core");
        CheckPackage(feed, "Fovea.Imaging", version, library: "Fovea.Imaging", dependsOn: ["Fovea", "SkiaSharp"]);
        CheckPackage(feed, "Fovea.Visualization", version, library: "Fovea.Visualization", dependsOn: ["Fovea", "Fovea.Imaging"]);
        CheckPackage(feed, "Fovea.Serving", version, library: "Fovea.Serving", dependsOn: ["Fovea", "Fovea.Imaging", "prometheus-net.AspNetCore"]);
        CheckTool(feed, version);

        string app = temp["app"];
        Directory.CreateDirectory(app);
        // A package folder of its own, with no fallback: a Fovea of the same version already in the user's folder
        // (from an earlier release, or the README's notebook steps) would otherwise be taken instead of the one just packed.
        string packageFolder = temp["packages"];
        File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(feed, packageFolder));
        var isolated = new Dictionary<string, string?>(ChildEnvironment()) { ["NUGET_PACKAGES"] = packageFolder };
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Fovea" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeModelCode(repo));
        DotnetIn(isolated, "build", Path.Combine(app, "app.csproj"), "-c", "Release");
        var run = ExternalProcess.Run(DotnetHost(), [Path.Combine(app, "bin", "Release", "net10.0", "app.dll")], CommandTimeout, isolated);

        output.WriteLine(run.StandardOutput);
        Assert.True(run.ExitCode == 0, $"the app exited with {run.ExitCode}:\n{run.StandardError}");
        Assert.Contains("Total params: 167,562", run.StandardOutput);
        Assert.Contains("dense_1 (Dense)", run.StandardOutput);
        // The package came from the folder just packed, not from a cache or a registry: the app ran its very bytes.
        string restored = Path.Combine(packageFolder, "fovea", version, $"fovea.{version}.nupkg");
        Assert.True(File.Exists(restored), "Fovea was not restored from the local feed");
        Assert.Equal(File.ReadAllBytes(Path.Combine(feed, $"Fovea.{version}.nupkg")), File.ReadAllBytes(restored));
        Assert.Equal(File.ReadAllBytes(Path.Combine(packageFolder, "fovea", version, "lib", "net10.0", "Fovea.Core.dll")),
                     File.ReadAllBytes(Path.Combine(app, "bin", "Release", "net10.0", "Fovea.Core.dll")));
    }

    /// <summary>README, licence, XML docs, symbols package, and the dependencies a consumer needs.</summary>
    private static void CheckPackage(string feed, string id, string version, string library, string[]? dependsOn = null)
    {
        using ZipArchive nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
        string[] files = nupkg.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains($"lib/net10.0/{library}.dll", files);
        Assert.Contains($"lib/net10.0/{library}.xml", files);
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);
        XElement metadata = Nuspec(nupkg);
        Assert.Equal("MIT", Element(metadata, "license").Value);
        Assert.Equal("expression", Element(metadata, "license").Attribute("type")?.Value);
        Assert.Equal("README.md", Element(metadata, "readme").Value);
        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "description").Value));
        string[] dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
        foreach (string dependency in dependsOn ?? []) Assert.Contains(dependency, dependencies);

        using ZipArchive snupkg = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.snupkg"));
        Assert.Contains($"lib/net10.0/{library}.pdb", snupkg.Entries.Select(e => e.FullName));
    }

    /// <summary>The CLI as a .NET tool whose command is <c>fovea</c>, with its native Skia library.</summary>
    private static void CheckTool(string feed, string version)
    {
        using ZipArchive nupkg = ZipFile.OpenRead(Path.Combine(feed, $"Fovea.Cli.{version}.nupkg"));
        string[] files = nupkg.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("tools/net10.0/any/fovea.dll", files);
        Assert.Contains("tools/net10.0/any/Fovea.Serving.dll", files);
        Assert.Contains(files, f => f.StartsWith("tools/net10.0/any/runtimes/linux-x64/native/libSkiaSharp", StringComparison.Ordinal));
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);
        using var settings = new StreamReader(nupkg.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
        string toolSettings = settings.ReadToEnd();
        Assert.Contains("Name=\"fovea\"", toolSettings);
        Assert.Contains("EntryPoint=\"fovea.dll\"", toolSettings);
        XElement metadata = Nuspec(nupkg);
        Assert.Contains(metadata.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        Assert.Equal("MIT", Element(metadata, "license").Value);
    }

    private static XElement Nuspec(ZipArchive nupkg)
    {
        using Stream stream = nupkg.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static XElement Element(XElement metadata, string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

    /// <summary>The README's usings and its model code, from <c>var model = new Sequential(</c> to <c>model.Summary();</c>.</summary>
    internal static string ReadmeModelCode(string repo)
    {
        string[] lines = File.ReadAllLines(Path.Combine(repo, "README.md"));
        int first = Array.FindIndex(lines, l => l.StartsWith("var model = new Sequential(", StringComparison.Ordinal));
        int last = Array.FindIndex(lines, first + 1, l => l.StartsWith("model.Summary();", StringComparison.Ordinal));
        Assert.True(first >= 0 && last > first, "the README no longer has the tutorial's model code");
        IEnumerable<string> usings = lines.Take(first).Where(l => l.StartsWith("using Fovea.", StringComparison.Ordinal)).Distinct();
        return string.Join('\n', usings.Concat(lines[first..(last + 1)])) + '\n';
    }

    /// <summary>
    /// The local folder for Fovea's packages, the machine's usual sources for everything else (source mapping keeps a
    /// same-named package elsewhere out), and a package folder of the test's own with no fallback folders.
    /// </summary>
    private static string NuGetConfig(string feed, string packages)
    {
        string[] sources = Dotnet("nuget", "list", "source", "--format", "short")
            .Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToArray();
        static string X(string s) => SecurityElement.Escape(s);
        var config = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n");
        config.Append($"  <config><add key=\"globalPackagesFolder\" value=\"{X(packages)}\" /></config>\n");
        config.Append("  <fallbackPackageFolders><clear /></fallbackPackageFolders>\n");
        config.Append("  <packageSources>\n    <clear />\n");
        config.Append($"    <add key=\"local\" value=\"{X(feed)}\" />\n");
        for (int i = 0; i < sources.Length; i++) config.Append($"    <add key=\"usual{i}\" value=\"{X(sources[i])}\" />\n");
        config.Append("  </packageSources>\n  <packageSourceMapping>\n");
        config.Append("    <packageSource key=\"local\"><package pattern=\"Fovea\" /><package pattern=\"Fovea.*\" /></packageSource>\n");
        for (int i = 0; i < sources.Length; i++) config.Append($"    <packageSource key=\"usual{i}\"><package pattern=\"*\" /></packageSource>\n");
        config.Append("  </packageSourceMapping>\n</configuration>\n");
        return config.ToString();
    }

    private static string Dotnet(params string[] arguments) => DotnetIn(ChildEnvironment(), arguments);

    private static string DotnetIn(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        string[] all = [.. arguments, .. arguments[0] is "pack" or "build" ? new[] { "--nologo", "--disable-build-servers", "-v:q" } : []];
        var result = ExternalProcess.Run(DotnetHost(), all, CommandTimeout, environment);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>
    /// The test host's environment, less the MSBuild settings <c>dotnet test</c> passes down, which would steer a nested
    /// build, and less any <c>FOVEA_*</c> setting, which would change what the app does.
    /// </summary>
    private static Dictionary<string, string?> ChildEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1", ["MSBUILDNODEWINDOW"] = null };
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("FOVEA_", StringComparison.OrdinalIgnoreCase)
                || name is "DOTNET_HOST_PATH" or "VSTEST_HOST_DEBUG")
                environment[name] = null;
        return environment;
    }

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Fovea.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"Fovea.slnx not found above {AppContext.BaseDirectory}");
    }
}
