using Fovea.Kernels;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;

namespace Fovea.Tests.Kernels;

/// <summary>
/// The machine's kernel tuning: the file's round trip and refusals, the rule that keeps the defaults unless another
/// choice is clearly faster, the vector path that a variable may only narrow, and <c>fovea tune</c> writing a file
/// that the next process applies and reports.
/// </summary>
public class KernelTuningTests
{
    private static KernelTuning Sample(string cpu = "Some CPU (family 25, model 17)") => new()
    {
        Cpu = cpu, Threads = 2, Measured = "2026-12-07", VectorPath = "avx2", Mc = 240, KcMax = 512, KcTarget = 256,
    };

    [Fact]
    public void The_file_round_trips_and_is_named_for_the_cpu()
    {
        using var folder = new TempFolder();
        string file = Path.Combine(folder.Path, "tuning", "cpu.json");
        Sample().Save(file);
        Assert.Equal(Sample(), KernelTuning.Load(file));
        Assert.False(File.Exists(file + ".tmp"));
        Assert.Equal("some-cpu-family-25-model-17.json", Path.GetFileName(KernelTuning.FileFor("Some CPU (family 25, model 17)")));
        var options = Sample().ApplyTo(KernelOptions.Default);
        Assert.Equal((240, 512, 256), (options.Mc, options.KcMax, options.KcTarget));
        Assert.Equal(KernelOptions.Default.Nc, options.Nc);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"cpu": "x", "threads": 2, "measured": "d", "vector_path": "avx2", "mc": 240, "kc_max": 512}""")]
    [InlineData("""{"cpu": "x", "threads": 2, "measured": "d", "vector_path": "avx1024", "mc": 240, "kc_max": 512, "kc_target": 256}""")]
    [InlineData("""{"cpu": "x", "threads": 2, "measured": "d", "vector_path": "avx2", "mc": 0, "kc_max": 512, "kc_target": 256}""")]
    [InlineData("""{"cpu": "x", "threads": 2, "measured": "d", "vector_path": "avx2", "mc": 120, "kc_max": 256, "kc_target": 384}""")]
    public void A_bad_file_is_refused_in_one_line(string text)
    {
        using var folder = new TempFolder();
        string file = Path.Combine(folder.Path, "t.json");
        File.WriteAllText(file, text);
        var e = Assert.Throws<FoveaException>(() => KernelTuning.Load(file));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_defaults_stay_unless_another_choice_is_clearly_faster()
    {
        var b = new KernelTuner.Blocking(120, 384, 256);
        var defaults = new KernelTuner.Result("avx512", b, 100);
        var close = new KernelTuner.Result("avx2", b, 102);
        var clear = new KernelTuner.Result("avx2", b with { Mc = 240 }, 110);
        Assert.Same(defaults, KernelTuner.Choose([defaults, close]));
        Assert.Same(clear, KernelTuner.Choose([defaults, close, clear]));
        Assert.Throws<ArgumentException>(() => KernelTuner.Choose([]));
    }

    [Fact]
    public void The_variable_narrows_the_path_and_never_widens_it()
    {
        Assert.Equal(VectorPath.Avx2, CpuPath.Narrowed(VectorPath.Avx512, "avx2"));
        Assert.Equal(VectorPath.Avx2, CpuPath.Narrowed(VectorPath.Avx2, "avx512"));
        Assert.Equal(VectorPath.Scalar, CpuPath.Narrowed(VectorPath.Avx2, " Scalar "));
        Assert.Equal(VectorPath.Avx512, CpuPath.Narrowed(VectorPath.Avx512, "sse9"));
        Assert.Equal(VectorPath.Avx512, CpuPath.Narrowed(VectorPath.Avx512, null));
    }

    /// <summary>The whole loop through the program: tune measures and writes this CPU's file; the next process
    /// applies it and says so; a file of another CPU, or FOVEA_TUNING=off, leaves the defaults.</summary>
    [Fact]
    public void Tune_writes_the_file_the_next_process_applies()
    {
        using var home = new TempFolder();
        var (code, stdout, stderr) = FoveaProcess.Run(home.Path, "tune", "--seconds", "0.02", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("chosen: ", stdout);
        Assert.Contains("probe vector_path=", stdout);
        string file = Directory.GetFiles(Path.Combine(home.Path, "tuning"), "*.json").Single();
        var written = KernelTuning.Load(file);
        Assert.Equal(CpuDescription.Name, written.Cpu);

        // A tuning that narrows the path and changes the blocking, in this CPU's file.
        var narrowed = written with { VectorPath = "vector128", Mc = 72 };
        narrowed.Save(file);
        var bench = new[] { "bench", "--model", "tutorial", "--seconds", "0.05", "--threads", "1", "--batch-size", "8" };
        var (_, applied, e1) = FoveaProcess.Run(home.Path, bench);
        Assert.Contains("simd=vector128", applied);
        Assert.Contains("kernel_options=mc 72,", applied);
        Assert.Contains("tuning=vector128, mc 72", applied);

        var (_, off, _) = FoveaProcess.Run(home.Path, bench, new Dictionary<string, string> { ["FOVEA_TUNING"] = "off" });
        Assert.DoesNotContain("simd=vector128", off);
        Assert.Contains("tuning=defaults (FOVEA_TUNING=off)", off);

        (narrowed with { Cpu = "Another CPU" }).Save(file);
        var (_, other, _) = FoveaProcess.Run(home.Path, bench);
        Assert.DoesNotContain("simd=vector128", other);
        Assert.Contains("was measured on Another CPU", other);
        Assert.True(e1.Length == 0 || !e1.Contains("error"), e1);
    }
}
