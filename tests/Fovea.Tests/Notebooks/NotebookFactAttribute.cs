namespace Fovea.Tests.Notebooks;

/// <summary>
/// A fact that executes a notebook: it needs Jupyter's nbconvert and the .NET Interactive kernel (<c>.ci/run</c>
/// installs both). Where either is missing it is reported as skipped, with what to install; under CI (<c>CI=true</c>)
/// it runs regardless and fails with the same reason, so that a broken install cannot pass as a skipped test.
/// </summary>
public sealed class NotebookFactAttribute : FactAttribute
{
    public NotebookFactAttribute()
    {
        if (NotebookRunner.WhyNot is string reason && Environment.GetEnvironmentVariable("CI") != "true") Skip = reason;
    }
}
