using System.Globalization;
using Fovea.Kernels;

namespace Fovea.Tests.Cli;

public class BenchCommandTests
{
    [Fact]
    public async Task PrintsThePeersKeysAndAProfile()
    {
        var run = await FoveaProcess.RunAsync("bench", "--seconds", "0.2", "--batch-size", "4", "--threads", "1", "--layers");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var values = run.Values();
        Assert.Equal("1", values["threads"]);
        Assert.Equal(Sgemm.ActivePath, values["simd"]);
        Assert.Equal("22.69", values["train_mflop_per_image"]);
        Assert.Equal(CpuDescription.Name, values["cpu"]);
        double share = double.Parse(values["share_of_peak_train"], CultureInfo.InvariantCulture);
        double ratio = double.Parse(values["gflops_train"], CultureInfo.InvariantCulture) / double.Parse(values["peak_gflops"], CultureInfo.InvariantCulture);
        Assert.InRange(share, ratio * 0.9, ratio * 1.1);
        foreach (string key in new[] { "train_images_per_s", "infer_images_per_s", "gflops_train", "gflops_infer", "peak_working_set_mb", "plan_train_mb", "plan_infer_mb", "train_cpu_cores", "peak_gflops", "share_of_peak_train", "share_of_peak_infer" })
            Assert.True(double.Parse(values[key], CultureInfo.InvariantCulture) > 0, $"{key}={values[key]}");
        foreach (string layer in new[] { "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1" })
        {
            Assert.Matches(@"^mean [0-9.]+ ms [0-9.]+% \| min [0-9.]+ ms [0-9.]+%", values[$"profile.{layer}.forward"]);
            Assert.Matches(@"^mean [0-9.]+ ms [0-9.]+% \| min [0-9.]+ ms [0-9.]+%", values[$"profile.{layer}.backward"]);
        }
        Assert.Matches(@"GFLOPS$", values["profile.conv2d_1.backward"]);
    }

    [Fact]
    public async Task RoundsPairTheTrainingWithProbesOfThePeak()
    {
        var run = await FoveaProcess.RunAsync("bench", "--seconds", "0.3", "--batch-size", "4", "--threads", "1", "--rounds", "3");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var values = run.Values();
        Assert.Equal("3", values["rounds"]);
        // "median (min..max)", the median between the two, for the probes and the rounds' shares alike.
        foreach (string key in new[] { "peak_gflops_rounds", "share_of_peak_train_rounds" })
        {
            var match = System.Text.RegularExpressions.Regex.Match(values[key], @"^([0-9.]+) \(([0-9.]+)\.\.([0-9.]+)\)$");
            Assert.True(match.Success, $"{key}={values[key]}");
            double[] v = [.. match.Groups.Values.Skip(1).Select(g => double.Parse(g.Value, CultureInfo.InvariantCulture))];
            Assert.True(v[1] > 0 && v[1] <= v[0] && v[0] <= v[2], $"{key}={values[key]}");
        }
    }

    [Theory]
    [InlineData("--rounds", "0", "--rounds must be at least 1; got 0")]
    [InlineData("--seconds", "0", "--seconds must be positive; got 0")]
    [InlineData("--batch-size", "0", "--batch-size must be at least 1; got 0")]
    [InlineData("--threads", "0", "--threads must be at least 1; got 0")]
    [InlineData("--model", "vgg", "model must be one of tutorial, airbench94, resnet9; got 'vgg'")]
    public async Task BadOptionsExitWithTwoAndOneLine(string option, string value, string message)
    {
        var run = await FoveaProcess.RunAsync("bench", option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: {message}", run.Stderr.Trim());
    }
}
