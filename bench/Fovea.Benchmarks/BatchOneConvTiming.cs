using System.Diagnostics;
using System.Globalization;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// ResNet-18's implicit-GEMM convolutions at batch 1, inference, with their kernels packed once and kept, as a pass
/// runs them: <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --conv1 [--threads 2] [--copies 6]
/// [--passes 200] [--panel-major 0|1] [--alternate panel-major|prefetch]</c>. <c>--copies</c> layers of each shape run in turn, each with its own kernel,
/// so that (as in a whole pass) a kernel comes back from memory rather than from a cache that the same call filled;
/// median and fastest µs per call, and GFLOPS of the median (2·MACs of the direct method). <c>--alternate</c> times
/// an option off and on pass after pass in one process (the kernel read k block by k block or panel by panel; the
/// next chunk prefetched or not), for a fair A/B on a noisy machine.
/// </summary>
internal static class BatchOneConvTiming
{
    private static readonly (string Name, ConvGeometry G, int Filters)[] Shapes =
    [
        ("l4.3x3", ConvGeometry.Same(7, 7, 512, 3, 3), 512),
        ("l4.3x3s2", ConvGeometry.Padded(15, 15, 256, 3, 3, 2, 2, 0, 0, 0, 0), 512),
        ("l4.1x1s2", ConvGeometry.Valid(14, 14, 256, 1, 1, 2, 2), 512),
        ("l3.3x3", ConvGeometry.Same(14, 14, 256, 3, 3), 256),
        ("l3.1x1s2", ConvGeometry.Valid(28, 28, 128, 1, 1, 2, 2), 256),
        ("l2.1x1s2", ConvGeometry.Valid(56, 56, 64, 1, 1, 2, 2), 128),
    ];

    public static void Run(string[] args)
    {
        int copies = 6, passes = 200;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--threads": Engine.Threads = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--copies": copies = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--passes": passes = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--panel-major": Engine.KernelOptions = Engine.KernelOptions with { PanelMajorPackedKernel = v != "0" }; break;
                case "--alternate": _alternate = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --threads, --copies, --passes, --panel-major or --alternate");
            }
        }
        Console.WriteLine($"path={Sgemm.ActivePath} threads={Engine.Threads} copies={copies} passes={passes} panel_major={Engine.KernelOptions.PanelMajorPackedKernel}");
        foreach (var (name, g, filters) in Shapes) Measure(name, g, filters, copies, passes);
    }

    private static void Measure(string name, ConvGeometry g, int filters, int copies, int passes)
    {
        var rng = new Rng(1);
        var x = Random(rng, g.InputSize);
        var bias = Random(rng, filters);
        var plans = new Convolution[copies];
        var kernels = new float[copies][];
        var y = new float[g.OutPixels * filters];
        for (int c = 0; c < copies; c++)
        {
            plans[c] = new Convolution(g, filters, Convolution.DefaultTileFloats, ConvolutionAlgorithm.Im2Col);
            kernels[c] = Random(rng, g.PatchSize * filters);
            plans[c].Forward(y, x, kernels[c], bias, true, 1, kernelUnchanged: false, training: false);
        }
        var options = Engine.KernelOptions;
        var variants = _alternate switch
        {
            "panel-major" => new[] { options with { PanelMajorPackedKernel = false }, options with { PanelMajorPackedKernel = true } },
            "prefetch" => [options with { PrefetchNextKernelChunk = false }, options with { PrefetchNextKernelChunk = true }],
            _ => [options],
        };
        var times = variants.Select(_ => new List<double>()).ToArray();
        for (int p = 0; p < passes; p++)
            for (int v = 0; v < variants.Length; v++)
            {
                Engine.KernelOptions = variants[v];
                for (int c = 0; c < copies; c++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    plans[c].Forward(y, x, kernels[c], bias, true, 1, kernelUnchanged: true, training: false);
                    times[v].Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
            }
        Engine.KernelOptions = options;
        double flops = 2.0 * g.OutPixels * filters * g.PatchSize;
        for (int v = 0; v < variants.Length; v++)
        {
            times[v].Sort();
            double median = times[v][times[v].Count / 2];
            string label = _alternate is null ? name : $"{name}/{(v == 0 ? "off" : "on")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-12} median_us={median,7:F1} fastest_us={times[v][0],7:F1} gflops={flops / median / 1e3,6:F0}"));
        }
    }

    private static string? _alternate;

    private static float[] Random(Rng rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = rng.NextSingle() * 2 - 1;
        return x;
    }
}
