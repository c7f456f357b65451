using System.Diagnostics;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

internal static class Probe
{
    public static void Run(string[] args)
    {
        if (args.Length > 0) Sgemm.Tuning.MinPanelsPerMPart = int.Parse(args[0]);
        if (args.Length > 1) Sgemm.Tuning.PrivateCMaxFloats = int.Parse(args[1]);
        var shapes = new (string, ConvGeometry, int)[]
        {
            ("whiten", ConvGeometry.Valid(32, 32, 3, 2, 2), 24),
            ("b1a", ConvGeometry.Same(31, 31, 24, 3, 3), 64),
            ("b1b", ConvGeometry.Same(15, 15, 64, 3, 3), 64),
            ("b2a", ConvGeometry.Same(15, 15, 64, 3, 3), 256),
            ("b2b", ConvGeometry.Same(7, 7, 256, 3, 3), 256),
            ("b3b", ConvGeometry.Same(3, 3, 256, 3, 3), 256),
        };
        Engine.Threads = args.Length > 2 ? int.Parse(args[2]) : 2;
        foreach (var (name, g, f) in shapes)
        {
            var conv = new Convolution(g, f);
            var x = new float[g.InputSize]; var k = new float[g.PatchSize * f]; var y = new float[g.OutPixels * f];
            var rng = new Random(1);
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
            for (int i = 0; i < k.Length; i++) k[i] = rng.NextSingle();
            var all = new List<double>();
            for (int t = 0; t < 3000; t++)
            {
                long s = Stopwatch.GetTimestamp();
                conv.Forward(y, x, k, ReadOnlyMemory<float>.Empty, false, 1, kernelUnchanged: t > 0, training: false, allowWinograd: false);
                if (t >= 1000) all.Add(Stopwatch.GetElapsedTime(s).TotalMicroseconds);
            }
            all.Sort();
            double flops = 2.0 * g.OutPixels * g.PatchSize * f;
            Console.Write($"{name} {all[0]:F1}/{all[all.Count / 2]:F1} | ");
        }
        Console.WriteLine();
    }
}
