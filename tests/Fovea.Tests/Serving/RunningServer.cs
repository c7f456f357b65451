using Fovea.Serving;

namespace Fovea.Tests.Serving;

/// <summary>A real <see cref="PredictionServer"/> (Kestrel) on 127.0.0.1 and a free port, with a client for it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(PredictionServer server)
    {
        Server = server;
        Address = server.Addresses.Single();
        Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(1) };
    }

    public PredictionServer Server { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }

    /// <summary>Starts a server on the test model, with the library's defaults for whatever is not given.</summary>
    public static async Task<RunningServer> StartAsync(string? apiKey = null, int maxBatch = 64, int queueCapacity = 1024, TimeSpan? maxWait = null) =>
        new(await PredictionServer.StartAsync(new ServerOptions
        {
            ModelPath = ServingTestModel.Path,
            Urls = ["http://127.0.0.1:0"],
            ApiKey = apiKey,
            MaxBatch = maxBatch,
            QueueCapacity = queueCapacity,
            MaxWait = maxWait ?? TimeSpan.FromMilliseconds(5),
        }));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>One server shared by the tests of a class.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    private RunningServer? _server;

    internal RunningServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
