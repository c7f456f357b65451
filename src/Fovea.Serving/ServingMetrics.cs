using Prometheus;

namespace Fovea.Serving;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (two servers in one process, as in the tests, do not
/// mix their counts), plus the .NET process metrics (CPU, memory, GC) that prometheus-net collects.
/// </summary>
internal sealed class ServingMetrics
{
    /// <summary>Paths counted by name; anything else is "other", so a scanner cannot grow the label set.</summary>
    private static readonly string[] KnownPaths = ["/", "/predict", "/explain", "/healthz", "/readyz", "/metrics"];

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Counter _errors;
    private readonly Counter _images;
    private readonly Histogram _batchSize;
    private readonly Histogram _batchDuration;
    private readonly Gauge _ready;
    private readonly Counter _explained;
    private readonly Histogram _explainDuration;

    public ServingMetrics(int maxBatch, Func<int> queueLength)
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        IMetricFactory factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("fovea_http_requests_total", "HTTP requests by path and status code.", ["path", "code"]);
        _duration = factory.CreateHistogram("fovea_http_request_duration_seconds", "Time from request to response, by path.", ["path"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) }); // 0.5 ms .. 16 s
        _errors = factory.CreateCounter("fovea_predict_errors_total",
            "Refused or failed predictions and explanations by reason: bad_request, bad_image, too_large, unauthorized, queue_full, internal.", ["reason"]);
        _images = factory.CreateCounter("fovea_predicted_images_total", "Images classified.");
        _batchSize = factory.CreateHistogram("fovea_batch_size", "Images per forward pass.",
            new HistogramConfiguration { Buckets = BatchBuckets(maxBatch) });
        _batchDuration = factory.CreateHistogram("fovea_batch_duration_seconds", "Time of one batched forward pass.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _explained = factory.CreateCounter("fovea_explained_images_total", "Images explained (Grad-CAM).");
        _explainDuration = factory.CreateHistogram("fovea_explain_duration_seconds", "Time of one Grad-CAM explanation on the model.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _ready = factory.CreateGauge("fovea_model_ready", "1 while the model is loaded and requests are accepted.");
        Gauge queue = factory.CreateGauge("fovea_queue_length", "Images waiting for the model.");
        Registry.AddBeforeCollectCallback(() => queue.Set(queueLength()));
    }

    /// <summary>What <c>GET /metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    public void Request(string path, int statusCode, TimeSpan elapsed)
    {
        string label = Array.IndexOf(KnownPaths, path) >= 0 ? path : "other";
        _requests.WithLabels(label, statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _duration.WithLabels(label).Observe(elapsed.TotalSeconds);
    }

    public void Error(string reason) => _errors.WithLabels(reason).Inc();

    public void Batch(int size, TimeSpan elapsed)
    {
        _images.Inc(size);
        _batchSize.Observe(size);
        _batchDuration.Observe(elapsed.TotalSeconds);
    }

    public void Explained(TimeSpan elapsed)
    {
        _explained.Inc();
        _explainDuration.Observe(elapsed.TotalSeconds);
    }

    public void Ready(bool ready) => _ready.Set(ready ? 1 : 0);

    /// <summary>1, 2, 4, … up to <paramref name="maxBatch"/>, which is always a bucket of its own.</summary>
    private static double[] BatchBuckets(int maxBatch)
    {
        var buckets = new List<double>();
        for (long b = 1; b < maxBatch; b *= 2) buckets.Add(b);
        buckets.Add(maxBatch);
        return buckets.ToArray();
    }
}
