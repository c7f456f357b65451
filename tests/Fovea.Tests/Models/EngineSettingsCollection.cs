namespace Fovea.Tests.Models;

/// <summary>
/// Tests that set <see cref="Engine.Threads"/> (process-wide, and it rebuilds the shared worker pool) or measure
/// process-wide allocation: they run alone, after the parallel tests, so no other test changes or disturbs them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineSettingsCollection
{
    public const string Name = "Engine settings";
}

/// <summary>Sets <see cref="Engine.Threads"/> for a test and restores it afterwards.</summary>
internal sealed class EngineThreads : IDisposable
{
    private readonly int _saved = Engine.Threads;

    public EngineThreads(int threads) => Engine.Threads = threads;

    public void Dispose() => Engine.Threads = _saved;
}

/// <summary>Sets <see cref="Engine.Winograd"/> for a test and restores it afterwards.</summary>
internal sealed class EngineWinograd : IDisposable
{
    private readonly WinogradUse _saved = Engine.Winograd;

    public EngineWinograd(WinogradUse use) => Engine.Winograd = use;

    public void Dispose() => Engine.Winograd = _saved;
}
