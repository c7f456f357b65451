using System.Diagnostics;
using System.Net;
using Fovea.Tests.Cli;

namespace Fovea.Tests.Serving;

/// <summary><c>fovea serve</c> as a user runs it: a child process that serves until SIGTERM, then exits 0.</summary>
public class ServeCommandTests
{
    [Fact]
    public async Task Fovea_serve_answers_predictions_and_stops_cleanly_on_SIGTERM()
    {
        using Process fovea = FoveaProcess.Start(null, "serve", "--model", ServingTestModel.Path, "--urls", "http://127.0.0.1:0", "--max-batch", "8", "--threads", "1");
        Task<string> stderr = fovea.StandardError.ReadToEndAsync();
        try
        {
            var seen = new List<string>();
            string? address = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (address is null && await fovea.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.Add(line);
                if (line.StartsWith("listening on ", StringComparison.Ordinal)) address = line["listening on ".Length..];
            }
            if (address is null)
            {
                fovea.Kill(entireProcessTree: true);
                Assert.Fail($"no address printed:\n{string.Join('\n', seen)}\n{await stderr}");
            }
            Assert.Contains(seen, l => l.Contains("10 classes, 32x32 RGB input", StringComparison.Ordinal));

            using var client = new HttpClient { BaseAddress = new Uri(address!) };
            using HttpResponseMessage health = await client.GetAsync("/healthz");
            using HttpResponseMessage predict = await client.PostAsync("/predict", new ByteArrayContent(ServingTestModel.Png(seed: 4)));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, predict.StatusCode);

            using (Process kill = Process.Start("kill", ["-TERM", fovea.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            string rest = await fovea.StandardOutput.ReadToEndAsync();
            await fovea.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.True(fovea.ExitCode == 0, $"exit code {fovea.ExitCode}; stderr:\n{await stderr}");
            Assert.Contains("stopping", rest);
        }
        finally
        {
            if (!fovea.HasExited) fovea.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("--max-batch", "0", "max batch must be at least 1; got 0")]
    [InlineData("--max-wait-ms", "-1", "--max-wait-ms must be at least 0; got -1")]
    [InlineData("--urls", "https://0.0.0.0:443", "urls must be http://HOST:PORT addresses")]
    public async Task Bad_options_exit_2_with_one_line_naming_them(string option, string value, string message)
    {
        var result = await FoveaProcess.RunAsync("serve", "--model", ServingTestModel.Path, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {message}", result.Stderr);
    }
}
