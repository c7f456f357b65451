namespace Fovea.Tests.Cli;

/// <summary>
/// Tests that signal a child process a fraction of an epoch into training run alone, after the parallel ones: on a
/// busy two-core machine the fuzz tests' load made an epoch take twice as long as the reference run the signal's
/// delay is measured from, and the signal landed in the wrong epoch.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive";
}
