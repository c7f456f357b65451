namespace Fovea;

/// <summary>
/// Where Fovea keeps files between runs: <c>~/.fovea</c>, or the folder named by the <c>FOVEA_HOME</c> environment
/// variable (read on every access, so a test or a CI job can point it elsewhere).
/// </summary>
public static class FoveaHome
{
    /// <summary>The environment variable that moves Fovea's home, <c>FOVEA_HOME</c>.</summary>
    public const string EnvironmentVariable = "FOVEA_HOME";

    /// <summary><c>$FOVEA_HOME</c>, else <c>~/.fovea</c>.</summary>
    /// <exception cref="FoveaException">Neither FOVEA_HOME nor a home folder is set.</exception>
    public static string Root => Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The rule behind <see cref="Root"/>, from the variable's value and the user's home folder (so it can be checked without changing the process's environment).</summary>
    internal static string Locate(string? overridden, string? userProfile)
    {
        if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
        if (string.IsNullOrEmpty(userProfile))
            throw new FoveaException($"cannot locate a home folder for ~/.fovea; set {EnvironmentVariable} to a writable folder");
        return Path.Combine(userProfile, ".fovea");
    }

    /// <summary>The dataset cache, <c>Root/datasets</c>.</summary>
    public static string Datasets => Path.Combine(Root, "datasets");
}
