using BenchmarkDotNet.Running;
using Fovea.Benchmarks;

if (args.Length > 0 && args[0] == "--peak")
{
    PeakFma.Run();
    return 0;
}
if (args.Length > 0 && args[0] == "--norm")
{
    NormTiming.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--timing")
{
    SgemmTiming.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--onnx")
{
    OnnxComparison.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--winograd-accuracy")
{
    WinogradAccuracy.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--resnet18")
{
    ResNet18Comparison.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--conv")
{
    ConvTiming.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--conv1")
{
    BatchOneConvTiming.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--infer-layers")
{
    InferenceProfile.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--winograd")
{
    WinogradTiming.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--train-alternate")
{
    TrainingAlternation.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--memory")
{
    MemoryBenchmark.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "--memory-case")
{
    MemoryBenchmark.Case(args[1..]);
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(LayerBenchmarks).Assembly).Run(args);
return 0;
