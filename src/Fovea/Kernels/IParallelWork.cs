namespace Fovea.Kernels;

/// <summary>
/// A piece of work split into numbered parts. Implementations are long-lived objects (one per layer or kernel
/// plan) whose fields are set before each run, so handing work to the pool allocates nothing.
/// Each part must write only its own outputs: results then do not depend on which thread ran which part.
/// </summary>
public interface IParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of the work; parts may run on any thread, in any order.</summary>
    void Execute(int part);
}
