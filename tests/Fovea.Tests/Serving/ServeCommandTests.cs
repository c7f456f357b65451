using System.Diagnostics;
using System.Net;
using Fovea.Tests.Cli;
using Fovea.Tests.Data;

namespace Fovea.Tests.Serving;

/// <summary><c>fovea serve</c> as a user runs it: a child process that serves until SIGTERM, then exits 0.</summary>
public class ServeCommandTests : IDisposable
{
    private const string Key = "k3y-from-the-command-line";
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    /// <summary>A running <c>fovea serve</c> and the address it printed; stopped by SIGTERM on dispose, if still running.</summary>
    private sealed class Server(Process process, Task<string> stderr, List<string> seen, string address) : IAsyncDisposable
    {
        public Process Process => process;
        public Task<string> Stderr => stderr;
        public IReadOnlyList<string> Seen => seen;
        public HttpClient Client { get; } = new() { BaseAddress = new Uri(address) };

        public async Task<int> StopAsync()
        {
            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            seen.AddRange((await process.StandardOutput.ReadToEndAsync()).Split('\n'));
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            return process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    private async Task<Server> StartAsync(string[] options, Dictionary<string, string>? environment = null)
    {
        Process fovea = FoveaProcess.Start(_home.Path,
            ["serve", "--model", ServingTestModel.Path, "--urls", "http://127.0.0.1:0", "--max-batch", "8", "--threads", "1", .. options], environment);
        Task<string> stderr = fovea.StandardError.ReadToEndAsync();
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
        return new Server(fovea, stderr, seen, address!);
    }

    private static async Task<HttpStatusCode> PredictAsync(HttpClient client, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = new ByteArrayContent(ServingTestModel.Png(seed: 4)) };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        using HttpResponseMessage response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Fovea_serve_answers_predictions_and_stops_cleanly_on_SIGTERM()
    {
        await using Server server = await StartAsync([]);
        Assert.Contains(server.Seen, l => l.Contains("10 classes, 32x32 RGB input", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Seen, l => l.Contains("API key", StringComparison.Ordinal));

        using HttpResponseMessage health = await server.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await PredictAsync(server.Client, key: null));

        int code = await server.StopAsync();
        Assert.True(code == 0, $"exit code {code}; stderr:\n{await server.Stderr}");
        Assert.Contains(server.Seen, l => l.StartsWith("stopping", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("option")]
    [InlineData("environment")]
    public async Task An_api_key_from_the_option_or_FOVEA_API_KEY_is_required_on_predict(string from)
    {
        string[] options = from == "option" ? ["--api-key", Key] : [];
        Dictionary<string, string>? environment = from == "environment" ? new() { ["FOVEA_API_KEY"] = Key } : null;
        await using Server server = await StartAsync(options, environment);

        Assert.Contains(server.Seen, l => l.EndsWith(", API key required on /predict", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, await PredictAsync(server.Client, key: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PredictAsync(server.Client, key: Key + "x"));
        Assert.Equal(HttpStatusCode.OK, await PredictAsync(server.Client, key: Key));
    }

    [Fact]
    public async Task The_option_wins_over_FOVEA_API_KEY()
    {
        await using Server server = await StartAsync(["--api-key", Key], new() { ["FOVEA_API_KEY"] = "another-key" });

        Assert.Equal(HttpStatusCode.Unauthorized, await PredictAsync(server.Client, key: "another-key"));
        Assert.Equal(HttpStatusCode.OK, await PredictAsync(server.Client, key: Key));
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
