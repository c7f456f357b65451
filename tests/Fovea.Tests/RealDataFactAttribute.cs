namespace Fovea.Tests;

/// <summary>
/// Real datasets kept outside the repository, in the <c>shared/datasets</c> folder beside the checkout
/// (<c>../shared/datasets</c> from the repo root; a git worktree nested deeper finds it further up).
/// </summary>
public static class RealData
{
    public const string Cifar10RelativePath = "shared/datasets/cifar-10-binary.tar.gz";

    /// <summary>The folder holding Fovea.slnx, found by walking up from the test binaries; null outside a checkout.</summary>
    public static string? RepoRoot { get; } = FindRepoRoot();

    /// <summary>Where the search for real data starts: above the repo root, or above the test binaries outside a checkout.</summary>
    public static string SearchStart => RepoRoot ?? AppContext.BaseDirectory;

    /// <summary>The official CIFAR-10 binary archive, or null when this machine has none.</summary>
    public static string? Cifar10ArchivePath { get; } = FindAbove(SearchStart, Cifar10RelativePath);

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Fovea.slnx"))) return dir.FullName;
        return null;
    }

    private static string? FindAbove(string start, string relativePath)
    {
        for (var dir = Directory.GetParent(Path.TrimEndingDirectorySeparator(start)); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs the real CIFAR-10 archive: reported as skipped, with the reason, where it is absent
/// (xunit 2 has no dynamic skip, so the decision is made when the attribute is built).</summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute()
    {
        if (RealData.Cifar10ArchivePath is null)
            Skip = $"real CIFAR-10 archive absent: no {RealData.Cifar10RelativePath} in any folder above {RealData.SearchStart}";
    }
}
