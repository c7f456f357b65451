namespace Fovea.Tests.Cli;

/// <summary>
/// Tests that load the machine for a while (a server under thousands of requests) run alone, after the parallel ones,
/// so that they neither slow the others down nor are slowed down by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive";
}
