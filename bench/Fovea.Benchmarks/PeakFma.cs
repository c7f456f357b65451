using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>The machine's FMA ceiling on one and two threads (<c>--peak</c>): <see cref="FmaPeak"/>, longer trials.</summary>
internal static class PeakFma
{
    public static void Run()
    {
        Console.WriteLine($"cpu: {CpuDescription.Name}, kernels at {Sgemm.ActivePath}");
        foreach (int threads in new[] { 1, 2 })
            Console.WriteLine($"peak FMA, {threads} thread(s): {FmaPeak.Measure(threads, seconds: 0.5, trials: 6):F1} GFLOPS");
    }
}
