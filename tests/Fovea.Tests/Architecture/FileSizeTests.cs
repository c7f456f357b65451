namespace Fovea.Tests.Architecture;

/// <summary>
/// No source file under src/ runs over 500 lines: a longer one is split by concern (a partial file, a helper type)
/// before it grows further.
/// </summary>
public class FileSizeTests
{
    private const int MaxLines = 500;

    [Fact]
    public void NoSourceFileRunsOver500Lines()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        string bin = $"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", obj = $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}";
        var tooLong = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(bin) && !f.Contains(obj))
            .Select(f => (Path: Path.GetRelativePath(src, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.Path}: {f.Lines} lines")
            .ToList();
        Assert.True(tooLong.Count == 0, $"files over {MaxLines} lines:\n" + string.Join("\n", tooLong));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Fovea.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (Fovea.slnx) is not above " + AppContext.BaseDirectory);
    }
}
