using System.Diagnostics;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// Throughput of BatchNorm and GELU, forward and backward, at airbench's shapes:
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --norm [--trials N]</c>.
/// GB/s counts the bytes each pass must move at least (BN forward reads x twice and writes y: 12 bytes an element;
/// BN backward reads dy and x twice and writes dx: 20; GELU forward 8; GELU backward 12). A plain copy of the same
/// tensor is timed beside them as the machine's streaming yardstick. Best of N, as the machine is shared.
/// </summary>
internal static class NormTiming
{
    public static void Run(string[] args)
    {
        int trials = 10;
        for (int i = 0; i + 1 < args.Length; i++)
            if (args[i] == "--trials") trials = int.Parse(args[i + 1]);
        Console.WriteLine($"path={Sgemm.ActivePath}; GB/s, best of {trials}");
        Console.WriteLine($"{"shape",-18} {"kernel",-16} {"1 thread",9} {"2 threads",10} {"ms (2t)",8}");
        foreach (var (rows, channels, label) in new[] { (1024 * 15 * 15, 64, "[1024·15·15, 64]"), (1024 * 7 * 7, 256, "[1024·7·7, 256]") })
        {
            int count = rows * channels;
            var rng = new Random(1);
            float[] x = new float[count], y = new float[count], dy = new float[count], dx = new float[count];
            for (int i = 0; i < count; i++) { x[i] = (float)(rng.NextDouble() * 4 - 1); dy[i] = (float)(rng.NextDouble() - 0.5); }
            float[] gamma = new float[channels], beta = new float[channels], mean = new float[channels], invStd = new float[channels];
            float[] variance = new float[channels], dgamma = new float[channels], dbeta = new float[channels];
            Array.Fill(gamma, 1f);
            (string, long, Action)[] kernels =
            [
                ("copy", 8, () => x.AsSpan().CopyTo(y)),
                ("bn forward", 12, () => BatchNorm.TrainingForward(y, mean, invStd, variance, x, gamma, beta, rows, channels, 1e-5f)),
                ("bn statistics", 4, () => BatchNorm.Statistics(mean, variance, x, rows, channels)),
                ("bn inference", 8, () => BatchNorm.InferenceForward(y, x, mean, variance, gamma, beta, rows, channels, 1e-5f)),
                ("bn backward", 20, () => BatchNorm.Backward(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, rows, channels)),
                ("gelu forward", 8, () => Gelu.Forward(y, x)),
                ("gelu backward", 12, () => Gelu.Backward(dx, dy, x)),
            ];
            foreach (var (name, bytesPerElement, run) in kernels)
            {
                double bytes = (double)bytesPerElement * count;
                double t1 = Best(run, 1, trials), t2 = Best(run, 2, trials);
                Console.WriteLine($"{label,-18} {name,-16} {bytes / t1 / 1e9,9:F1} {bytes / t2 / 1e9,10:F1} {t2 * 1e3,8:F2}");
            }
        }
    }

    private static double Best(Action run, int threads, int trials)
    {
        int saved = Engine.Threads;
        Engine.Threads = threads;
        try
        {
            run();   // JIT, page faults
            double best = double.MaxValue;
            for (int t = 0; t < trials; t++)
            {
                var sw = Stopwatch.StartNew();
                run();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return best;
        }
        finally { Engine.Threads = saved; }
    }
}
