using System.Globalization;
using System.Text.RegularExpressions;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary><c>fovea lr-find</c> run as a user would, on a synthetic CIFAR-10: the printout, the picture, and bad input.</summary>
public partial class LrFindCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    [GeneratedRegex(@"^suggested learning rate \(valley\): (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SuggestionLine();

    [Fact]
    public void PrintsTheSuggestionAndDrawsTheCurveTheSameForTheSameSeed()
    {
        string data = new FakeCifar10 { TrainCounts = [40, 40, 40, 40, 40] }.WriteArchive(_temp["cifar.tar.gz"]);
        string[] args = ["lr-find", "--model", "tutorial", "--data", data, "--limit", "160", "--batch-size", "16", "--steps", "30", "--threads", "2", "--seed", "4"];

        var (code, stdout, stderr) = Fovea([.. args, "--out", _temp["a"]]);
        Assert.True(code == 0, stderr);
        Match suggestion = SuggestionLine().Match(stdout);
        Assert.True(suggestion.Success, stdout);
        double rate = double.Parse(suggestion.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(rate, 1e-7, 10);
        Assert.Contains("steepest descent: ", stdout);
        byte[] png = File.ReadAllBytes(Path.Combine(_temp["a"], "lr_find.png"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);

        var (again, stdout2, stderr2) = Fovea([.. args, "--out", _temp["b"]]);
        Assert.True(again == 0, stderr2);
        Assert.Equal(suggestion.Value, SuggestionLine().Match(stdout2).Value);
        Assert.Equal(png, File.ReadAllBytes(Path.Combine(_temp["b"], "lr_find.png")));
    }

    [Theory]
    [InlineData("--steps", "1", "error: --steps must be at least 2; got 1")]
    [InlineData("--batch-size", "0", "error: --batch-size must be at least 1; got 0")]
    [InlineData("--model", "nosuch", "error: model must be one of")]
    public void BadInputIsOneLineAndExitTwo(string option, string value, string message)
    {
        var (code, _, stderr) = Fovea("lr-find", "--data", _temp["missing.tar.gz"], option, value, "--out", _temp["out"]);
        Assert.Equal(2, code);
        Assert.StartsWith(message, stderr.Trim());
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(_temp["out"]));
    }

    [Fact]
    public void MissingDataIsOneLineAndNothingIsWritten()
    {
        var (code, _, stderr) = Fovea("lr-find", "--data", _temp["missing.tar.gz"], "--out", _temp["out"]);
        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(_temp["out"]));
    }
}
