using System.Net;
using Fovea.Serving;

namespace Fovea.Tests.Serving;

/// <summary>Back-pressure, readiness across shutdown, and refusals at start.</summary>
public class ServerLifecycleTests
{
    [Fact]
    public async Task A_full_queue_answers_503_with_Retry_After_and_the_server_recovers()
    {
        // One image per batch and one waiting. A request of eight pictures enqueues them back to back, far faster than
        // a forward pass: at most two fit (one taken by the worker, one queued), so the request is refused.
        await using RunningServer server = await RunningServer.StartAsync(maxBatch: 1, queueCapacity: 1, maxWait: TimeSpan.Zero);
        using var form = new MultipartFormDataContent();
        for (int i = 0; i < 8; i++) form.Add(new ByteArrayContent(ServingTestModel.Png(seed: 40 + i)), "file", $"p{i}.png");
        using HttpResponseMessage busy = await server.Client.PostAsync("/predict", form);

        Assert.Contains("queue is full", await PredictionServerTests.ErrorAsync(busy, HttpStatusCode.ServiceUnavailable));
        Assert.Equal("1", busy.Headers.RetryAfter?.ToString());

        // As a client should: retry after a pause until the accepted pictures have gone through.
        HttpStatusCode later = HttpStatusCode.ServiceUnavailable;
        for (int attempt = 0; attempt < 50 && later == HttpStatusCode.ServiceUnavailable; attempt++)
        {
            if (attempt > 0) await Task.Delay(100);
            using HttpResponseMessage response = await server.Client.PostAsync("/predict", new ByteArrayContent(ServingTestModel.Png(seed: 9)));
            later = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, later);
        string metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Matches(@"fovea_predict_errors_total\{reason=""queue_full""\} [1-9]", metrics);
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
