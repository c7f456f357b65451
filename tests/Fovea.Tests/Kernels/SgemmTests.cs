using System.Diagnostics;
using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class SgemmTests
{
    private static readonly int[] OddSizes = [1, 3, 7, 17, 33, 65];

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Matches_reference_on_odd_shapes(bool transA, bool transB)
    {
        var rng = new Random((transA ? 11 : 7) + (transB ? 3 : 0));
        int index = 0;
        foreach (int m in OddSizes)
        foreach (int n in OddSizes)
        foreach (int k in OddSizes)
        {
            // Walk accumulate/bias/relu/threads/padding through all their combinations as the shape varies.
            int f = index++;
            var c = new SgemmCase(m, n, k, transA, transB, Accumulate: (f & 1) != 0, Bias: (f & 2) != 0, Relu: (f & 4) != 0,
                                  Threads: 1 + (f >> 3 & 1), Pad: f % 5);
            Assert.True(c.Check(rng, out string detail), detail);
        }
    }

    [Theory]
    [InlineData(130, 70, 1000, false, false)]   // k split into blocks, accumulating through C
    [InlineData(61, 45, 777, true, true)]
    [InlineData(300, 64, 288, false, false)]    // conv2 forward, M split across threads
    [InlineData(288, 64, 1500, true, false)]    // conv2 dW shape class
    [InlineData(500, 288, 64, false, true)]     // conv2 dX shape class
    [InlineData(27, 32, 3000, true, false)]     // conv1 dW: m below one tile row, long k
    [InlineData(9, 2100, 13, false, true)]      // n beyond one Nc block
    [InlineData(64, 2304, 64, false, true)]     // dense1 dX, N split across threads
    [InlineData(1, 1, 5000, true, true)]
    [InlineData(50, 32, 300, false, false)]     // n = NR (avx512) with tight ldb: B read in place
    [InlineData(50, 16, 300, true, false)]      // n = NR (avx2)
    [InlineData(50, 8, 300, false, false)]      // n = NR (vector128)
    public void Matches_reference_across_blocking(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(m * 31 + n);
        for (int f = 0; f < 8; f++)
        {
            var c = new SgemmCase(m, n, k, transA, transB, Accumulate: (f & 1) != 0, Bias: (f & 2) != 0, Relu: (f & 4) != 0,
                                  Threads: 1 + (f & 1), Pad: f % 3);
            Assert.True(c.Check(rng, out string detail), detail);
        }
    }

    [Fact]
    public void Zero_depth_leaves_bias_and_relu_of_c()
    {
        float[] c = [1f, -2f, 3f, -4f];
        Sgemm.Multiply(2, 2, 0, [], 1, false, [], 2, false, c, 2, accumulate: true, bias: [0.5f, 0.5f], relu: true);
        Assert.Equal([1.5f, 0f, 3.5f, 0f], c);
        Sgemm.Multiply(2, 2, 0, [], 1, false, [], 2, false, c, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void Relu_clamps_negatives_and_keeps_nan()
    {
        // A diverging network must still show up as non-finite after a fused ReLU, as it does after the ReLU layer.
        float[] a = [1f, 1f], b = [-2f, float.NaN, 3f, 0f, 0f, 0f], c = new float[3];
        Sgemm.Multiply(1, 3, 2, a, 2, false, b, 3, false, c, 3, relu: true);
        Assert.Equal(0f, c[0]);
        Assert.True(float.IsNaN(c[1]));
        Assert.Equal(3f, c[2]);
    }

    [Theory]
    [InlineData(301, 77, 1100)]   // two parts
    [InlineData(1000, 64, 300)]   // eight parts of an M split
    [InlineData(64, 700, 90)]     // eight parts of an N split
    public void Results_are_bit_identical_across_calls_and_thread_counts(int m, int n, int k)
    {
        var rng = new Random(5);
        float[] a = Random(rng, m * k), b = Random(rng, k * n), bias = Random(rng, n), c0 = Random(rng, m * n);
        float[] Run(int threads, bool transB)
        {
            var c = (float[])c0.Clone();
            Sgemm.Multiply(m, n, k, a, k, false, b, transB ? k : n, transB, c, n, accumulate: true, bias, relu: true, threads);
            return c;
        }
        foreach (bool transB in new[] { false, true })
        {
            var first = Run(1, transB);
            Assert.Equal(first, Run(1, transB));
            Assert.Equal(first, Run(2, transB));
        }
    }

    [Fact]
    public void Active_path_is_the_widest_this_cpu_offers()
    {
        string expected = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "avx512"
            : System.Runtime.Intrinsics.X86.Fma.IsSupported ? "avx2" : "vector128";
        Assert.Equal(expected, Sgemm.ActivePath);
    }

    [Fact]
    public void Self_test_passes_in_process()
    {
        var (passed, report) = KernelSelfTest.Run();
        Assert.True(passed, report);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        float[] a = new float[12], b = new float[12], c = new float[12];
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(-1, 3, 4, a, 4, false, b, 3, false, c, 3));
        Assert.Equal("m", e1.ParamName);
        Assert.Contains("got -1", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(3, 3, 4, a, 3, false, b, 3, false, c, 3));
        Assert.Equal("lda", e2.ParamName);
        Assert.Contains("got 3", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(3, 4, 4, a, 4, false, b, 4, false, c, 4));
        Assert.Equal("b", e3.ParamName);
        Assert.Contains("got 12", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(3, 3, 4, a, 4, false, b, 3, false, c, 3, bias: new float[2]));
        Assert.Equal("bias", e4.ParamName);
        var e5 = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(3, 3, 4, a, 4, false, a, 3, false, a, 3));
        Assert.Equal("c", e5.ParamName);
        // Operands side by side in one buffer are fine; only the spanned elements must not overlap.
        float[] arena = new float[12 + 12 + 9];
        Sgemm.Multiply(3, 3, 4, arena.AsSpan(0, 12), 4, false, arena.AsSpan(12, 12), 3, false, arena.AsSpan(24, 9), 3);
        var e6 = Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(3, 3, 4, a, 4, false, b, 3, false, c, 3, threads: 0));
        Assert.Equal("threads", e6.ParamName);
        var e7 = Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(3, 3, 4, a, 3, true, b, 4, true, c, 2));
        Assert.Equal("ldc", e7.ParamName);
    }

    /// <summary>
    /// Reruns the self-test in child processes with the wider instruction sets switched off, so the AVX2, 128-bit
    /// and scalar paths are exercised on this AVX-512 machine. .NET 10 reads DOTNET_EnableAVX512 (it ignores the
    /// older DOTNET_EnableAVX512F, which is set too for older runtimes); DOTNET_EnableAVX2=0 also removes FMA.
    /// </summary>
    [X86ChildProcessTheory]
    [InlineData("avx2", "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0")]
    [InlineData("vector128", "DOTNET_EnableAVX2=0")]
    [InlineData("scalar", "DOTNET_EnableHWIntrinsic=0")]
    public async Task Every_cpu_path_matches_reference_in_a_child_process(string expectedPath, params string[] environment)
    {
        string child = Path.Combine(AppContext.BaseDirectory, "Fovea.KernelCheck.dll");
        Assert.True(File.Exists(child), $"missing {child}");
        var start = new ProcessStartInfo(DotnetHost(), $"\"{child}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string variable in environment)
        {
            var parts = variable.Split('=');
            start.Environment[parts[0]] = parts[1];
        }
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        string report = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, report);
        Assert.StartsWith($"path={expectedPath} ", report);
    }

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    private static float[] Random(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}

public class SgemmNestingTests
{
    /// <summary>A layer may call the kernel from inside its own pool parts: that must neither deadlock nor mix up runs.</summary>
    [Fact]
    public async Task Parallel_call_from_inside_a_pool_part_runs_inline_and_matches_serial()
    {
        var work = new NestedGemms();
        var expected = new float[NestedGemms.Parts][];
        for (int p = 0; p < NestedGemms.Parts; p++) expected[p] = NestedGemms.Compute(p, threads: 1);
        var pool = WorkerPool.Shared;
        var run = Task.Run(() => pool.Run(work, NestedGemms.Parts));
        await run.WaitAsync(TimeSpan.FromMinutes(1));   // throws TimeoutException if the nested run deadlocked
        for (int p = 0; p < NestedGemms.Parts; p++) Assert.Equal(expected[p], work.Results[p]);
    }

    private sealed class NestedGemms : IParallelWork
    {
        public const int Parts = 4;
        public readonly float[][] Results = new float[Parts][];

        public void Execute(int part) => Results[part] = Compute(part, threads: 2);

        public static float[] Compute(int part, int threads)
        {
            const int m = 130, n = 70, k = 300;
            var rng = new Random(part);
            float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
            for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
            Sgemm.Multiply(m, n, k, a, k, false, b, n, false, c, n, threads: threads);
            return c;
        }
    }
}

public class WorkerPoolDisposalTests
{
    /// <summary>Tests elsewhere change Engine.Threads, which disposes the shared pool, while kernels may be running on it.</summary>
    [Fact]
    public async Task Runs_on_a_pool_disposed_meanwhile_still_complete()
    {
        var work = new Spin();
        for (int round = 0; round < 50; round++)
        {
            var pool = new WorkerPool(2);
            var run = Task.Run(() => pool.Run(work, 8));
            var dispose = Task.Run(pool.Dispose);
            await Task.WhenAll(run, dispose).WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Run(() => pool.Run(work, 4)).WaitAsync(TimeSpan.FromSeconds(30));   // after disposal: inline
        }
    }

    private sealed class Spin : IParallelWork
    {
        public void Execute(int part) => Thread.SpinWait(1000);
    }
}
