using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Fovea.Serving;

/// <summary>
/// An HTTP server for one model on Kestrel: <c>POST /predict</c>, <c>POST /explain</c> (the Grad-CAM picture), a page at <c>/</c>, probes at <c>/healthz</c> and
/// <c>/readyz</c>, Prometheus metrics at <c>/metrics</c>. Concurrent requests are batched into one forward pass by
/// a single worker that owns the model. The server keeps no state between requests, so replicas behind a load
/// balancer are interchangeable.
/// </summary>
/// <example>
/// <code>
/// await using var server = await PredictionServer.StartAsync(new ServerOptions { ModelPath = "model.safetensors" });
/// Console.WriteLine(server.Addresses[0]);   // http://127.0.0.1:5000/
/// await server.WaitForShutdownAsync(cancellationToken);
/// </code>
/// </example>
public sealed class PredictionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly InferenceBatcher _batcher;
    private readonly ServingMetrics _metrics;
    private volatile bool _ready;
    private int _stopped;

    private PredictionServer(WebApplication app, InferenceBatcher batcher, ServingMetrics metrics, IReadOnlyList<string> classNames, Shape inputShape)
    {
        _app = app;
        _batcher = batcher;
        _metrics = metrics;
        ClassNames = classNames;
        InputShape = inputShape;
    }

    /// <summary>Where the server listens, with the actual port when port 0 was asked for.</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    /// <summary>The model's class names, in output order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model's input (height, width, channels): uploads are centre-cropped to its aspect ratio, resized to
    /// it and turned to grayscale for a one-channel model.</summary>
    public Shape InputShape { get; }

    /// <summary>True from start until <see cref="StopAsync"/> begins; what <c>/readyz</c> reports.</summary>
    public bool IsReady => _ready;

    /// <summary>Loads the model, then starts listening. Returns once requests are accepted.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="FoveaException">The model cannot be loaded or served, or an address cannot be bound.</exception>
    public static async Task<PredictionServer> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ServedModel model = ServedModel.Load(options.ModelPath);

        InferenceBatcher? batcher = null;
        ServingMetrics? metrics = null;
        metrics = new ServingMetrics(options.MaxBatch, () => batcher?.QueueLength ?? 0);
        batcher = new InferenceBatcher(model, options.MaxBatch, options.MaxWait, options.QueueCapacity, metrics.Batch, metrics.Explained);

        // The empty builder reads no appsettings.json, environment or command line: what runs is what the options say.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Fovea.Serving" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.Services.AddRoutingCore();
        if (options.LogToConsole) builder.Logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning);

        WebApplication app = builder.Build();
        var server = new PredictionServer(app, batcher, metrics, model.ClassNames, model.InputShape);
        server.Map(app, model, options);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            throw new FoveaException($"cannot listen on {string.Join(", ", options.Urls)}: {e.Message}", e);
        }
        server.Addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Select(a => new Uri(a)).ToArray();
        server._ready = true;
        metrics.Ready(true);
        return server;
    }

    /// <summary>Completes when the server stops: <see cref="StopAsync"/>, or <paramref name="cancellationToken"/>.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>
    /// Reports not ready, stops accepting connections, lets requests in flight finish (within the host's shutdown
    /// timeout), then lets the worker finish the queue.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _ready = false;
        _metrics.Ready(false);
        await _app.StopAsync(cancellationToken);
        await _batcher.DisposeAsync();
    }

    /// <summary>Stops the server (if running) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app, ServedModel model, ServerOptions options)
    {
        var page = new PredictionPage(model.ClassNames.Count);
        var uploads = new UploadReader(model, _metrics, options.MaxBodyBytes);
        var predict = new PredictEndpoint(model, _batcher, _metrics, uploads);
        var explain = new ExplainEndpoint(model, _batcher, _metrics, uploads);
        ApiKeyCheck? key = options.ApiKey is null ? null : new ApiKeyCheck(options.ApiKey);
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fovea.Serving");

        // Outermost: counts and times every request, and turns a bug into a 500 with a JSON body instead of a dropped connection.
        app.Use(async (context, next) =>
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is no one to answer.
            }
            catch (Exception e)
            {
                log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                _metrics.Error("internal");
                if (!context.Response.HasStarted)
                    await PredictionJson.WriteErrorAsync(context.Response, StatusCodes.Status500InternalServerError, "internal error; see the server log");
            }
            _metrics.Request(context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(start));
        });
        app.UseRouting();

        app.MapGet("/", async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.ContentSecurityPolicy = page.ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.ContentLength = page.Html.Length;
            await context.Response.Body.WriteAsync(page.Html);
        });
        // Both need the key when the server has one.
        RequestDelegate Guarded(Func<HttpContext, Task> handle) => async context =>
        {
            if (key is not null && !key.Allows(context.Request))
            {
                _metrics.Error("unauthorized");
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await PredictionJson.WriteErrorAsync(context.Response, StatusCodes.Status401Unauthorized,
                    "a valid API key is needed: send it as 'X-Api-Key: KEY' or 'Authorization: Bearer KEY'");
                return;
            }
            await handle(context);
        };
        app.MapPost("/predict", Guarded(predict.HandleAsync));
        app.MapPost("/explain", Guarded(explain.HandleAsync));
        app.MapGet("/healthz", context => PlainAsync(context, StatusCodes.Status200OK, "ok\n"));
        app.MapGet("/readyz", context => _ready
            ? PlainAsync(context, StatusCodes.Status200OK, "ready\n")
            : PlainAsync(context, StatusCodes.Status503ServiceUnavailable, "not ready\n"));
        app.MapMetrics("/metrics", _metrics.Registry);
    }

    private static Task PlainAsync(HttpContext context, int statusCode, string text)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text);
    }
}
