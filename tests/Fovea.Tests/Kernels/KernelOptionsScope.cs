using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

/// <summary>Sets <see cref="Engine.KernelOptions"/> for a using block and restores the options it found.</summary>
internal sealed class KernelOptionsScope : IDisposable
{
    private readonly KernelOptions _saved = Engine.KernelOptions;

    public KernelOptionsScope(Func<KernelOptions, KernelOptions> change) => Engine.KernelOptions = change(_saved);

    public void Dispose() => Engine.KernelOptions = _saved;
}
