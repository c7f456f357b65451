using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Fovea.Tests.Cli;
using Xunit.Abstractions;

namespace Fovea.Tests.Serving;

/// <summary>
/// A bounded load on loopback: 2,000 requests from 16 concurrent clients, then it stops. Asserts only that every
/// request succeeds; throughput, latency percentiles and the batch sizes the server formed are printed (timing on a
/// shared two-core machine is too noisy to assert).
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public partial class ServerLoadTests(ITestOutputHelper output)
{
    private const int Requests = 2_000;
    private const int Clients = 16;

    [Fact]
    [Trait("Category", "Load")]
    public async Task Two_thousand_requests_from_16_clients_all_succeed()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        byte[][] pictures = Enumerable.Range(0, 16).Select(ServingTestModel.Png).ToArray();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // Warm-up, not counted: the first requests JIT-compile the server, the decoder and the model's kernels.
        for (int i = 0; i < 32; i++)
        {
            using HttpResponseMessage warm = await client.PostAsync("/predict", new ByteArrayContent(pictures[i % pictures.Length]), deadline.Token);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        string before = await client.GetStringAsync("/metrics");

        var latencies = new double[Requests];
        var failures = new List<string>();
        int next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                long start = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(pictures[i % pictures.Length]);
                using HttpResponseMessage response = await client.PostAsync("/predict", content, deadline.Token);
                await response.Content.ReadAsByteArrayAsync(deadline.Token);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK) lock (failures) failures.Add($"request {i}: {(int)response.StatusCode}");
            }
        })));
        clock.Stop();

        Array.Sort(latencies);
        string metrics = await client.GetStringAsync("/metrics");
        output.WriteLine($"{Requests} requests from {Clients} clients in {clock.Elapsed.TotalSeconds:0.00} s: {Requests / clock.Elapsed.TotalSeconds:0} requests/s");
        output.WriteLine($"latency p50 {Percentile(latencies, 0.50):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies[^1]:0.0} ms");
        output.WriteLine($"batch sizes (images per forward pass, the warm-up's one-image batches included): {BatchSizes(metrics)}");

        Assert.Empty(failures);
        Assert.Matches($@"fovea_predicted_images_total {Requests + 32}\b", metrics);
        Assert.Matches(@"fovea_predicted_images_total 32\b", before);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>"count in (lower, upper]" for each non-empty bucket of fovea_batch_size, and the mean.</summary>
    private static string BatchSizes(string metrics)
    {
        var cumulative = BatchBucket().Matches(metrics).Select(m => (Le: m.Groups[1].Value, Count: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        var parts = new List<string>();
        long below = 0;
        string lower = "0";
        foreach (var (le, count) in cumulative)
        {
            if (count > below) parts.Add($"{count - below} in ({lower}, {le}]");
            below = count;
            lower = le;
        }
        double sum = double.Parse(Regex.Match(metrics, @"fovea_batch_size_sum ([0-9.e+]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        long batches = long.Parse(Regex.Match(metrics, @"fovea_batch_size_count (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        return $"{string.Join("; ", parts)}; {batches} batches, mean {sum / batches:0.0}";
    }

    [GeneratedRegex(@"fovea_batch_size_bucket\{le=""([^""]+)""\} (\d+)")]
    private static partial Regex BatchBucket();
}
