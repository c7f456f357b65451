using System.Net;
using System.Net.Http.Headers;

namespace Fovea.Tests.Serving;

/// <summary>A server started with an API key: /predict needs it, the page, probes and metrics do not.</summary>
public class ApiKeyTests : IAsyncLifetime
{
    private const string Key = "s3cret-key-for-tests";
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(apiKey: Key);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(null, null)]
    [InlineData("X-Api-Key", "wrong")]
    [InlineData("X-Api-Key", "s3cret-key-for-test")]     // a prefix
    [InlineData("X-Api-Key", "s3cret-key-for-testsX")]   // one byte more
    [InlineData("Authorization", "Bearer wrong")]
    [InlineData("Authorization", "Basic czNjcmV0")]
    public async Task A_missing_or_wrong_key_is_refused_with_401(string? header, string? value)
    {
        using HttpRequestMessage request = Predict();
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        using HttpResponseMessage response = await _server.Client.SendAsync(request);

        Assert.Contains("a valid API key is needed", await PredictionServerTests.ErrorAsync(response, HttpStatusCode.Unauthorized));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("X-Api-Key", Key)]
    [InlineData("Authorization", "Bearer " + Key)]
    public async Task The_right_key_in_either_header_is_accepted(string header, string value)
    {
        using HttpRequestMessage request = Predict();
        request.Headers.TryAddWithoutValidation(header, value);
        using HttpResponseMessage response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    public async Task The_page_probes_and_metrics_need_no_key(string path)
    {
        using HttpResponseMessage response = await _server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static HttpRequestMessage Predict()
    {
        var content = new ByteArrayContent(ServingTestModel.Png(seed: 5));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
    }
}
