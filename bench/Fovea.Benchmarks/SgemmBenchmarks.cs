using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Fovea.Kernels;

namespace Fovea.Benchmarks;

/// <summary>
/// SGEMM at the tutorial CNN's shapes and at 1024³, on 1 and 2 threads, with a GFLOPS column.
/// <c>dotnet run -c Release --project bench/Fovea.Benchmarks -- --filter *Sgemm*</c>.
/// </summary>
[Config(typeof(GflopsConfig))]
public class SgemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private int _lda, _ldb;

    public static IEnumerable<SgemmShape> Shapes => SgemmShape.Tutorial;

    [ParamsSource(nameof(Shapes))]
    public SgemmShape Shape { get; set; } = SgemmShape.Tutorial[0];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => (_a, _lda, _b, _ldb, _c, _) = Shape.Allocate();

    [Benchmark]
    public void Sgemm() =>
        Kernels.Sgemm.Multiply(Shape.M, Shape.N, Shape.K, _a, _lda, Shape.TransA, _b, _ldb, Shape.TransB, _c, Shape.N, threads: Threads);

    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig()
        {
            // 15 iterations rather than BenchmarkDotNet's adaptive default: the full 20-case run took 30 minutes.
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15));
            AddColumn(new GflopsColumn(best: false), new GflopsColumn(best: true));
            AddColumn(new TagColumn("Path", _ => Kernels.Sgemm.ActivePath));
        }
    }

    /// <summary>2·m·n·k / mean time, or / fastest iteration: on a machine shared with builds the mean mostly
    /// measures the neighbours, the best iteration what the kernel does when it has the core.</summary>
    private sealed class GflopsColumn(bool best) : IColumn
    {
        public string Id => nameof(GflopsColumn) + (best ? "Best" : "");
        public string ColumnName => best ? "GFLOPS(best)" : "GFLOPS";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"2·m·n·k floating-point operations per second / 1e9, from the {(best ? "fastest iteration" : "mean time")}";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            var shape = benchmarkCase.Parameters[nameof(Shape)] as SgemmShape;
            if (report?.ResultStatistics is not { } stats || shape is null) return "-";
            return (shape.Flops / (best ? stats.Min : stats.Mean)).ToString("F1");   // times are in ns, so flops/ns = GFLOPS
        }
    }
}
