namespace Fovea.Tests.Notebooks;

/// <summary>
/// A fact that executes a notebook: it needs Jupyter's nbconvert and the .NET Interactive kernel (<c>.ci/run</c>
/// installs both). Where either is missing it is reported as skipped, with what to install.
/// </summary>
public sealed class NotebookFactAttribute : FactAttribute
{
    public NotebookFactAttribute()
    {
        if (NotebookRunner.WhyNot is string reason) Skip = reason;
    }
}
