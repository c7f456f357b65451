using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Fovea.Tests.Architecture;

/// <summary>
/// Keeps the folders of Fovea.Core and the other assemblies under src/ layered: every reference (a <c>using</c> line,
/// or a qualified name such as <c>Data.Augmentation.RandomFlip</c>) must go down the table below, never up or
/// sideways, so that no two folders depend on each other. See docs/architecture.md.
/// </summary>
public partial class DependencyDirectionTests(ITestOutputHelper output)
{
    /// <summary>
    /// What each part may use directly; it may also use whatever those may use. "Base" is the root of Fovea.Core
    /// (Tensors, Rng, Engine, FoveaException), which every part may use. The one table of the dependency rules.
    /// </summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Base"] = [],
        ["IO"] = [],
        ["Kernels"] = [],
        ["Layers"] = ["Kernels", "IO"],
        ["Losses"] = ["Kernels"],
        ["Optimizers"] = ["Layers"],
        ["Data"] = ["IO", "Kernels"],
        // Calibration, top losses, confusions: arithmetic on predictions and labels, nothing of layers or models.
        ["Evaluation"] = ["Kernels"],
        ["Models"] = ["Layers", "Losses", "Optimizers", "Data", "IO"],
        // The end of a run fits the model's temperature with Evaluation's temperature scaling.
        ["Training"] = ["Models", "Evaluation"],
        // Data-parallel training over MPI: shares a model's steps between processes; the CLI launches it.
        ["Distributed"] = ["Training"],
        ["Zoo"] = ["Training"],
        ["Explain"] = ["Training"],
        ["Imaging"] = ["Training"],
        ["Onnx"] = ["Training"],
        ["Visualization"] = ["Imaging", "Training", "Evaluation"],
        // POST /explain computes Grad-CAM (Explain) and answers the picture fovea explain draws (Visualization).
        ["Serving"] = ["Imaging", "Training", "Explain", "Visualization"],
        // Notebooks show Grad-CAM results (Explain) inline.
        ["Interactive"] = ["Visualization", "Zoo", "Explain"],
        ["Cli"] = ["Interactive", "Serving", "Onnx", "Visualization", "Imaging", "Zoo", "Explain", "Distributed"],
    };

    [Fact]
    public void EveryReferenceGoesDownTheTable()
    {
        var allowed = Closure();
        var violations = Scan().Where(r => r.From != r.To && r.To != "Base" && !(allowed.TryGetValue(r.From, out var may) && may.Contains(r.To)))
            .Select(r => $"{r.File}: {r.From} → {r.To} ({r.What})").Distinct().ToList();
        Assert.True(violations.Count == 0, "references against the allowed direction (DependencyDirectionTests.MayUse):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void TheTableHasNoCycles()
    {
        var allowed = Closure();
        var cycles = allowed.Where(kv => kv.Value.Contains(kv.Key)).Select(kv => kv.Key).ToList();
        Assert.True(cycles.Count == 0, "the table lets these parts reach themselves: " + string.Join(", ", cycles));
    }

    /// <summary>No two parts of the code as it is reach each other, whatever the table says.</summary>
    [Fact]
    public void TheCodeHasNoCycles()
    {
        var edges = Scan().Where(r => r.From != r.To && r.To != "Base").Select(r => (r.From, r.To)).ToHashSet();
        var reach = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToHashSet());
        foreach (var k in reach.Keys.ToList()) reach[k] = Reachable(k, reach);
        var inCycle = edges.Where(e => reach.GetValueOrDefault(e.To)?.Contains(e.From) == true).OrderBy(e => e.From).ThenBy(e => e.To).ToList();
        foreach (var (from, to) in inCycle) output.WriteLine($"cycle edge: {from} → {to}");
        Assert.Empty(inCycle);
    }

    private static HashSet<string> Reachable(string from, Dictionary<string, HashSet<string>> next)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>(next.GetValueOrDefault(from) ?? []);
        while (stack.Count > 0)
        {
            var part = stack.Pop();
            if (!seen.Add(part)) continue;
            foreach (var n in next.GetValueOrDefault(part) ?? []) stack.Push(n);
        }
        return seen;
    }

    /// <summary>Each part with everything it may use, directly or through others.</summary>
    private static Dictionary<string, HashSet<string>> Closure()
    {
        var direct = MayUse.ToDictionary(kv => kv.Key, kv => kv.Value.ToHashSet());
        return direct.Keys.ToDictionary(k => k, k => Reachable(k, direct));
    }

    private sealed record Reference(string File, string From, string To, string What);

    /// <summary>Every reference from a part to a part in src/, read from the using lines and qualified names (comments ignored).</summary>
    private static List<Reference> Scan()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (Path: Path.GetRelativePath(src, f), Code: WithoutComments(File.ReadAllText(f))))
            .ToList();
        // The types each namespace declares, so that "Data.Length" (a property) is not taken for the namespace Data.
        var types = new Dictionary<string, HashSet<string>>();
        foreach (var (_, code) in files)
        {
            string ns = NamespaceLine().Match(code) is { Success: true } m ? m.Groups[1].Value : "";
            if (!types.TryGetValue(ns, out var set)) types[ns] = set = [];
            foreach (Match t in TypeDeclaration().Matches(code)) set.Add(t.Groups[1].Value);
        }
        var references = new List<Reference>();
        foreach (var (path, code) in files)
        {
            if (PartOfFile(path) is not { } from) continue;
            foreach (Match u in UsingLine().Matches(code))
                if (PartOfNamespace(u.Groups[1].Value) is { } to) references.Add(new(path, from, to, "using " + u.Groups[1].Value));
            foreach (Match q in QualifiedName().Matches(code))
            {
                var parts = q.Groups[1].Value.Split('.').ToList();
                if (parts[0] != "Fovea") parts.Insert(0, "Fovea");
                for (int k = parts.Count - 1; k >= 2; k--)
                {
                    string ns = string.Join('.', parts.Take(k));
                    if (types.TryGetValue(ns, out var declared) && declared.Contains(parts[k]))
                    {
                        if (PartOfNamespace(ns) is { } to) references.Add(new(path, from, to, q.Groups[1].Value));
                        break;
                    }
                }
            }
        }
        return references;
    }

    /// <summary>"Kernels" for src/Fovea/Kernels/…, "Base" for the root of Fovea.Core and Tensors, "Cli" for src/Fovea.Cli/….
    /// A part missing from the table fails the test until it is given its place there.</summary>
    private static string? PartOfFile(string relativePath)
    {
        var parts = relativePath.Split(Path.DirectorySeparatorChar);
        if (parts[0] == "Fovea") return parts.Length > 2 && parts[1] != "Tensors" ? parts[1] : "Base";
        return parts[0].StartsWith("Fovea.", StringComparison.Ordinal) ? parts[0]["Fovea.".Length..] : null;
    }

    private static string? PartOfNamespace(string ns)
    {
        var parts = ns.Split('.');
        if (parts[0] != "Fovea") return null;
        if (parts.Length == 1) return "Base";
        return parts[1];
    }

    private static string WithoutComments(string code) => Comment().Replace(code, "");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Fovea.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (Fovea.slnx) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"\b(?:class|struct|record|interface|enum|delegate\s+[\w<>?,\s]+?)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(Fovea(?:\.\w+)*)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])((?:Fovea\.)?[A-Z]\w*(?:\.[A-Z]\w*)+)")]
    private static partial Regex QualifiedName();
}
