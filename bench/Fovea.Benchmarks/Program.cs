using BenchmarkDotNet.Running;
using Fovea.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(LayerBenchmarks).Assembly).Run(args);
return 0;
