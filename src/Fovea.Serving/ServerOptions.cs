namespace Fovea.Serving;

/// <summary>How a <see cref="PredictionServer"/> loads its model, where it listens and how it batches and limits requests.</summary>
public sealed class ServerOptions
{
    /// <summary>The default address: loopback only, so a server is reachable from elsewhere only when asked.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    /// <summary>Largest request body by default: 10 MiB. A larger body is refused with 413.</summary>
    public const long DefaultMaxBodyBytes = 10L * 1024 * 1024;

    /// <summary>A model file written by <c>fovea train</c> or <c>Sequential.Save</c>.</summary>
    public required string ModelPath { get; init; }

    /// <summary>
    /// Addresses to listen on, e.g. <c>http://127.0.0.1:5000</c> or <c>http://0.0.0.0:8080</c> (all interfaces, as in a
    /// container). Port 0 picks a free port; <see cref="PredictionServer.Addresses"/> tells which.
    /// </summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>
    /// When set, <c>POST /predict</c> needs this key in the <c>X-Api-Key</c> header or as <c>Authorization: Bearer KEY</c>;
    /// the page, the probes and the metrics stay open (a kubelet and a Prometheus scraper carry no key).
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>Most images in one forward pass.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>
    /// How long the first image of a batch waits for others to join it. Zero runs whatever is queued at once: lowest
    /// latency when idle, smaller batches under load.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Images waiting for the model at most; when full, requests are refused with 503 and Retry-After.</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>Largest request body; a larger one is refused with 413.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Writes warnings and errors (and Kestrel's own) to the console; off for a server embedded in tests.</summary>
    public bool LogToConsole { get; init; }

    /// <summary>Checks every setting, naming the one that is wrong and its value.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ModelPath);
        if (Urls is null || Urls.Count == 0) throw new ArgumentException("urls must name at least one address; got none", nameof(Urls));
        foreach (string url in Urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
                throw new ArgumentException($"urls must be http://HOST:PORT addresses (TLS ends at the load balancer); got '{url}'", nameof(Urls));
        }
        if (ApiKey is not null && ApiKey.Length == 0) throw new ArgumentException("api key must not be empty; omit it to serve without a key", nameof(ApiKey));
        if (MaxBatch < 1) throw new ArgumentException($"max batch must be at least 1; got {MaxBatch}", nameof(MaxBatch));
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(10))
            throw new ArgumentException($"max wait must be between 0 and 10 seconds; got {MaxWait.TotalMilliseconds} ms", nameof(MaxWait));
        if (QueueCapacity < 1) throw new ArgumentException($"queue capacity must be at least 1; got {QueueCapacity}", nameof(QueueCapacity));
        if (MaxBodyBytes < 1) throw new ArgumentException($"max body bytes must be positive; got {MaxBodyBytes}", nameof(MaxBodyBytes));
    }
}
