namespace Fovea;

/// <summary>
/// Where Fovea keeps files between runs: <c>~/.fovea</c>, or the folder named by the <c>FOVEA_HOME</c> environment
/// variable (read on every access, so a test or a CI job can point it elsewhere).
/// </summary>
public static class FoveaHome
{
    public const string EnvironmentVariable = "FOVEA_HOME";

    /// <summary><c>$FOVEA_HOME</c>, else <c>~/.fovea</c>.</summary>
    /// <exception cref="FoveaException">Neither FOVEA_HOME nor a home folder is set.</exception>
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                throw new FoveaException($"cannot locate a home folder for ~/.fovea; set {EnvironmentVariable} to a writable folder");
            return Path.Combine(home, ".fovea");
        }
    }

    /// <summary>The dataset cache, <c>Root/datasets</c>.</summary>
    public static string Datasets => Path.Combine(Root, "datasets");
}
