using System.Net;
using Fovea.Serving;

namespace Fovea.Tests.Serving;

/// <summary>Back-pressure, readiness across shutdown, and refusals at start.</summary>
public class ServerLifecycleTests
{
    [Fact]
    public async Task A_full_queue_answers_503_with_Retry_After_and_never_500()
    {
        // One image per batch and one waiting: 64 simultaneous requests cannot all fit.
        await using RunningServer server = await RunningServer.StartAsync(maxBatch: 1, queueCapacity: 1, maxWait: TimeSpan.Zero);
        byte[] png = ServingTestModel.Png(seed: 8);
        using var start = new ManualResetEventSlim();
        Task<(HttpStatusCode Code, string? RetryAfter)>[] requests = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            using HttpResponseMessage response = await server.Client.PostAsync("/predict", new ByteArrayContent(png));
            return (response.StatusCode, response.Headers.RetryAfter?.ToString());
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.True(r.Code is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"got {(int)r.Code}"));
        Assert.Contains(results, r => r.Code == HttpStatusCode.OK);
        Assert.Contains(results, r => r.Code == HttpStatusCode.ServiceUnavailable);
        Assert.All(results.Where(r => r.Code == HttpStatusCode.ServiceUnavailable), r => Assert.Equal("1", r.RetryAfter));
    }

    [Fact]
    public async Task Readiness_is_reported_until_the_server_stops()
    {
        RunningServer server = await RunningServer.StartAsync();
        Assert.True(server.Server.IsReady);
        await server.Server.StopAsync();
        Assert.False(server.Server.IsReady);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => server.Client.GetAsync("/healthz"));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_file_that_is_not_a_model_is_refused_at_start()
    {
        using var temp = new Data.TempFolder();
        string path = temp["not-a-model.safetensors"];
        await File.WriteAllTextAsync(path, "hello");
        await Assert.ThrowsAnyAsync<FoveaException>(() => PredictionServer.StartAsync(new ServerOptions { ModelPath = path, Urls = ["http://127.0.0.1:0"] }));
    }

    [Theory]
    [InlineData("https://127.0.0.1:5000", "urls must be http://HOST:PORT addresses")]
    [InlineData("127.0.0.1:5000", "urls must be http://HOST:PORT addresses")]
    public async Task Bad_options_are_refused_by_name(string url, string message)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            PredictionServer.StartAsync(new ServerOptions { ModelPath = ServingTestModel.Path, Urls = [url] }));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Each_numeric_option_names_itself_when_out_of_range()
    {
        string path = ServingTestModel.Path;
        Assert.StartsWith("max batch must be at least 1; got 0", Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = path, MaxBatch = 0 }.Validate()).Message);
        Assert.StartsWith("queue capacity must be at least 1; got 0", Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = path, QueueCapacity = 0 }.Validate()).Message);
        Assert.StartsWith("max wait must be between 0 and 10 seconds; got -1 ms",
            Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = path, MaxWait = TimeSpan.FromMilliseconds(-1) }.Validate()).Message);
    }

    [Fact]
    public async Task A_port_in_use_is_reported_by_address()
    {
        await using RunningServer first = await RunningServer.StartAsync();
        string taken = $"http://127.0.0.1:{first.Address.Port}";
        var e = await Assert.ThrowsAsync<FoveaException>(() => PredictionServer.StartAsync(new ServerOptions { ModelPath = ServingTestModel.Path, Urls = [taken] }));
        Assert.StartsWith($"cannot listen on {taken}", e.Message);
    }
}
