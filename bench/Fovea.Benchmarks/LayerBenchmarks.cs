using Fovea.Zoo;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Fovea.Kernels;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;

namespace Fovea.Benchmarks;

/// <summary>
/// Forward and backward of each layer of the tutorial CNN at batch 64, on 1 and 2 threads, with the GFLOPS of
/// the layer's GEMMs (<see cref="FlopCounter"/>) over the whole pass. Inputs are real activations: random images
/// through the layers before, so pooling sees ReLU's zeros and convolutions see the real value ranges.
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --filter *LayerBenchmarks*</c>.
/// </summary>
[Config(typeof(LayerConfig))]
public class LayerBenchmarks
{
    public const int Batch = 64;
    private TutorialActivations _net = null!;
    private UnaryLayer _layer = null!;
    private float[] _input = [], _output = [], _outputGrad = [];
    private float[]? _inputGrad;

    public static IEnumerable<string> LayerNames => ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"];

    [ParamsSource(nameof(LayerNames))]
    public string Layer { get; set; } = "conv2d";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Engine.Threads = Threads;
        _net = new TutorialActivations(Batch);
        int i = _net.IndexOf(Layer);
        _layer = (UnaryLayer)_net.Model.Layers[i];
        (_input, _output, _outputGrad) = (_net.Activations[i], _net.Activations[i + 1], _net.OutputGrads[i + 1]);
        // The model never computes the first layer's input gradient; neither does this benchmark.
        _inputGrad = i == 0 ? null : _net.OutputGrads[i];
    }

    [Benchmark]
    public void Forward() => _layer.Forward(_output, _input, new StepContext(Batch, training: true));

    /// <summary>
    /// Backward after that forward. Repeating it redoes the same work: ReLU's mask of the output gradient is
    /// idempotent, and a convolution's dX, written over its patches, only feeds the next dW, which costs the same.
    /// </summary>
    [Benchmark]
    public void Backward() => _layer.Backward(_inputGrad, _outputGrad, _input, _output, new StepContext(Batch, training: true));

    internal sealed class LayerConfig : ManualConfig
    {
        public LayerConfig()
        {
            AddColumn(StatisticColumn.Min);
            AddColumn(new GflopsColumn(FlopsPerBatch), new GflopsColumn(FlopsPerBatch, fromMin: true));
            AddColumn(new TagColumn("Path", _ => Sgemm.ActivePath));
        }

        private static double FlopsPerBatch(BenchmarkCase benchmark)
        {
            var model = ModelZoo.SeedCnn();
            model.Build();
            string name = (string)benchmark.Parameters[nameof(Layer)];
            var flops = FlopCounter.PerLayer(model).Single(l => l.Layer == name);
            return Batch * (double)(benchmark.Descriptor.WorkloadMethod.Name == nameof(Forward) ? flops.Forward : flops.Backward);
        }
    }
}

/// <summary>
/// The parts of each convolution's passes, called exactly as <see cref="Conv2D"/> calls them, to see where a
/// layer's time goes: im2col, the three GEMMs, col2im, and the element-wise ReLU derivative and bias sum.
/// The model never runs the first layer's dX GEMM and col2im (nothing needs its input gradient); they are
/// listed for conv2d only as a measure of those kernels on a 3-channel image.
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --filter *ConvPartBenchmarks*</c>.
/// </summary>
[Config(typeof(ConvPartConfig))]
public class ConvPartBenchmarks
{
    private const int Batch = LayerBenchmarks.Batch;
    private ConvGeometry _g;
    private int _rows, _k, _filters;
    private float[] _image = [], _cols = [], _kernel = [], _kernelGrad = [], _bias = [], _biasGrad = [], _output = [], _dz = [], _imageGrad = [];
    private ImageParts _parts = null!;

    [Params("conv2d", "conv2d_1")]
    public string Layer { get; set; } = "conv2d";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Engine.Threads = Threads;
        var net = new TutorialActivations(Batch);
        int i = net.IndexOf(Layer);
        var conv = (Conv2D)net.Model.Layers[i];
        if (conv.Padding != Padding.Valid) throw new InvalidOperationException($"{Layer}: the parts are written for 'valid' padding");
        var s = conv.InputShape;
        _g = ConvGeometry.Valid(s[0], s[1], s[2], conv.KernelSize.Height, conv.KernelSize.Width);
        (_rows, _k, _filters) = (Batch * _g.OutPixels, _g.PatchSize, conv.Filters);
        _image = net.Activations[i];
        _output = net.Activations[i + 1];
        _dz = net.OutputGrads[i + 1];
        _imageGrad = new float[_image.Length];
        _cols = new float[_rows * _k];
        _kernel = conv.Parameters[0].Value.ToArray();
        _kernelGrad = new float[_kernel.Length];
        _bias = conv.Parameters[1].Value.ToArray();
        _biasGrad = new float[_bias.Length];
        _parts = new ImageParts(this);
        _parts.Run(fold: false);
    }

    private readonly BiasBackward _biasBackward = new();

    [Benchmark(Description = "im2col")]
    public void Unfold() => _parts.Run(fold: false);

    [Benchmark(Description = "fwd GEMM")]
    public void ForwardGemm() =>
        Sgemm.Multiply(_rows, _filters, _k, _cols, _k, false, _kernel, _filters, false, _output, _filters,
            bias: _bias, relu: true, threads: Engine.Threads);

    [Benchmark(Description = "relu' + db")]
    public void ReluAndBiasBackward() => _biasBackward.Run(_biasGrad, _dz, _output, _rows, _filters, relu: true);

    [Benchmark(Description = "dW GEMM")]
    public void WeightGradientGemm() =>
        Sgemm.Multiply(_k, _filters, _rows, _cols, _k, true, _dz, _filters, false, _kernelGrad, _filters,
            accumulate: true, threads: Engine.Threads);

    [Benchmark(Description = "dX GEMM")]
    public void InputGradientGemm() =>
        Sgemm.Multiply(_rows, _k, _filters, _dz, _filters, false, _kernel, _filters, true, _cols, _k, threads: Engine.Threads);

    [Benchmark(Description = "col2im")]
    public void Fold() => _parts.Run(fold: true);

    /// <summary>im2col or col2im image by image across the worker pool, as the layer does.</summary>
    private sealed class ImageParts(ConvPartBenchmarks b) : IParallelWork
    {
        private bool _fold;

        public void Run(bool fold)
        {
            _fold = fold;
            WorkerPool.Shared.Run(this, Batch);
        }

        public void Execute(int image)
        {
            var cols = b._cols.AsSpan(image * b._g.OutPixels * b._g.PatchSize, b._g.OutPixels * b._g.PatchSize);
            if (_fold) Im2Col.Fold(b._imageGrad.AsSpan(image * b._g.InputSize, b._g.InputSize), cols, b._g);
            else Im2Col.Unfold(cols, b._image.AsSpan(image * b._g.InputSize, b._g.InputSize), b._g);
        }
    }

    private sealed class ConvPartConfig : ManualConfig
    {
        public ConvPartConfig()
        {
            AddColumn(StatisticColumn.Min);
            AddColumn(new GflopsColumn(FlopsPerBatch), new GflopsColumn(FlopsPerBatch, fromMin: true));
        }

        private static double FlopsPerBatch(BenchmarkCase benchmark)
        {
            if (!benchmark.Descriptor.WorkloadMethod.Name.EndsWith("Gemm", StringComparison.Ordinal)) return 0;
            var model = ModelZoo.SeedCnn();
            model.Build();
            string name = (string)benchmark.Parameters[nameof(Layer)];
            return Batch * (double)FlopCounter.PerLayer(model).Single(l => l.Layer == name).Forward;
        }
    }
}

/// <summary>The tutorial CNN with every layer's input and output for one random batch, and small output gradients.</summary>
internal sealed class TutorialActivations
{
    public TutorialActivations(int batch, long seed = 0)
    {
        Model = ModelZoo.SeedCnn(seed);
        // Compile fuses the final softmax with the loss, as in training: the last backward then starts from logits.
        Model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var rng = Rng.For(seed, "layer-benchmarks");
        int layers = Model.Layers.Count;
        Activations = new float[layers + 1][];
        OutputGrads = new float[layers + 1][];
        Activations[0] = new float[batch * Model.InputShape.Size];
        for (int j = 0; j < Activations[0].Length; j++) Activations[0][j] = rng.NextSingle();
        for (int i = 0; i < layers; i++)
        {
            var layer = (UnaryLayer)Model.Layers[i];
            layer.Plan(batch);
            Activations[i + 1] = new float[batch * layer.OutputShape.Size];
            layer.Forward(Activations[i + 1], Activations[i], new StepContext(batch, training: true));
            OutputGrads[i + 1] = new float[Activations[i + 1].Length];
            for (int j = 0; j < OutputGrads[i + 1].Length; j++) OutputGrads[i + 1][j] = 1e-3f * (2 * rng.NextSingle() - 1);
        }
        OutputGrads[0] = new float[Activations[0].Length];
    }

    public Sequential Model { get; }
    /// <summary>Activations[i] is layer i's input; Activations[i + 1] its output.</summary>
    public float[][] Activations { get; }
    /// <summary>Buffers of dL/d(activation), the same sizes; those after a layer hold small random values.</summary>
    public float[][] OutputGrads { get; }

    public int IndexOf(string layer)
    {
        for (int i = 0; i < Model.Layers.Count; i++)
            if (Model.Layers[i].Name == layer) return i;
        throw new ArgumentException($"the tutorial CNN has no layer '{layer}'", nameof(layer));
    }
}

/// <summary>
/// A GFLOPS column from a benchmark's floating-point work per invocation and its mean time, or its fastest
/// time (the better estimate of the code's own speed on a busy machine); "-" where there is no GEMM work.
/// </summary>
internal sealed class GflopsColumn(Func<BenchmarkCase, double> flops, bool fromMin = false) : IColumn
{
    public string Id => nameof(GflopsColumn) + (fromMin ? "Min" : "");
    public string ColumnName => fromMin ? "GFLOPS@Min" : "GFLOPS";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => fromMin ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"GEMM floating-point operations (2·m·n·k each) per second / 1e9, from the {(fromMin ? "fastest" : "mean")} time";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double work = flops(benchmarkCase);
        if (work <= 0 || summary[benchmarkCase]?.ResultStatistics is not { } stats) return "-";
        double nanoseconds = fromMin ? stats.Min : stats.Mean;
        return (work / nanoseconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);   // flops per ns = GFLOPS
    }
}
