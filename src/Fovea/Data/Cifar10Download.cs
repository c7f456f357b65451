using System.Security.Cryptography;

namespace Fovea.Data;

/// <summary>
/// Fetches the CIFAR-10 binary archive into the dataset cache (<see cref="FoveaHome.Datasets"/>) once, checks its MD5,
/// and returns its path for <see cref="Cifar10.Load"/>. Progress goes to an <see cref="IProgress{T}"/> so that the
/// library needs no console; the CLI draws the bar.
/// </summary>
public static class Cifar10Download
{
    public static readonly Uri DefaultSource = new("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");

    /// <summary>MD5 of the official archive, as published beside it.</summary>
    public const string PublishedMd5 = "c32a1d4ab5d03f1284b67883e8d87530";

    private const string DataHint = "download it yourself and pass --data PATH (a .tar.gz or a cifar-10-batches-bin folder)";

    /// <summary>How long the server may take to answer, and then how long it may go silent, before the download fails.</summary>
    internal static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
    internal static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The official archive in the default cache: <c>$FOVEA_HOME/datasets</c>, else <c>~/.fovea/datasets</c>.</summary>
    /// <inheritdoc cref="EnsureAsync(string, Uri, string, IProgress{DownloadProgress}?, CancellationToken)"/>
    public static Task<string> EnsureAsync(Uri? source = null, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        EnsureAsync(FoveaHome.Datasets, source ?? DefaultSource, PublishedMd5, progress, ct);

    /// <summary>
    /// Returns <c>cacheFolder/cifar-10-binary.tar.gz</c>, or <c>cacheFolder/cifar-10-batches-bin</c>, if either is there;
    /// otherwise streams <paramref name="source"/> to a temporary file beside it, hashing as it goes, and renames it only once
    /// its MD5 matches <paramref name="expectedMd5"/>. On any failure the temporary file is deleted, so the cache never holds
    /// a partial or unverified archive under the final name.
    /// </summary>
    /// <exception cref="FoveaException">The download failed or did not match its checksum; the one-line message says what to do.</exception>
    public static async Task<string> EnsureAsync(string cacheFolder, Uri source, string expectedMd5,
                                                 IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheFolder);
        ArgumentNullException.ThrowIfNull(source);
        if (expectedMd5 is not { Length: 32 } || !expectedMd5.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"expectedMd5 must be 32 hex digits; got '{expectedMd5}'", nameof(expectedMd5));

        string archive = Path.Combine(cacheFolder, Cifar10.ArchiveFileName);
        if (File.Exists(archive)) return archive; // only a verified download is ever renamed to this name
        string folder = Path.Combine(cacheFolder, Cifar10.FolderName);
        if (Directory.Exists(folder)) return folder;

        string temp = Path.Combine(cacheFolder, $"{Cifar10.ArchiveFileName}.{Guid.NewGuid():N}.part");
        try
        {
            Directory.CreateDirectory(cacheFolder);
            string md5 = await DownloadAsync(temp, source, progress, ct).ConfigureAwait(false);
            if (!md5.Equals(expectedMd5, StringComparison.OrdinalIgnoreCase))
                throw new FoveaException(
                    $"CIFAR-10 download from {source} failed its checksum: expected MD5 {expectedMd5.ToLowerInvariant()}, got {md5}; the file was deleted and nothing was kept");
            File.Move(temp, archive, overwrite: true); // a concurrent run may have won; both copies are verified
            return archive;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"cannot write to the dataset cache {cacheFolder}: {Cifar10Format.OneLine(ex.Message)}; set {FoveaHome.EnvironmentVariable} to a writable folder or pass --data PATH", ex);
        }
        finally
        {
            TryDelete(temp); // no-op after the rename
        }
    }

    /// <summary>Streams <paramref name="source"/> into <paramref name="temp"/> and returns the MD5 of what was received, lower-case hex.</summary>
    private static async Task<string> DownloadAsync(string temp, Uri source, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        // No whole-request timeout: a slow link may take an hour; instead the connect and every read get their own.
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(ct);
        HttpResponseMessage response;
        try
        {
            watchdog.CancelAfter(ConnectTimeout);
            response = await http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, watchdog.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw CouldNotDownload(source, Reason(ex), ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw CouldNotDownload(source, $"no answer within {ConnectTimeout.TotalSeconds:0.#} s", ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw CouldNotDownload(source, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null);

            long? total = response.Content.Headers.ContentLength;
            long received = 0;
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            await using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            byte[] buffer = new byte[1 << 16];
            progress?.Report(new DownloadProgress(0, total));
            Stream body = await ReadAsync(() => response.Content.ReadAsStreamAsync(watchdog.Token), source, received, total, ct).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    watchdog.CancelAfter(IdleTimeout); // re-armed for every read: only silence fails the download
                    int n = await ReadAsync(() => body.ReadAsync(buffer, watchdog.Token).AsTask(), source, received, total, ct).ConfigureAwait(false);
                    if (n == 0) break;
                    md5.AppendData(buffer, 0, n);
                    // A failed write (disk full) is the cache's fault and is reported as such by EnsureAsync.
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    received += n;
                    progress?.Report(new DownloadProgress(received, total));
                }
            }
            // HttpClient already fails a body shorter than its Content-Length; this guards any handler that does not.
            if (total is long expected && received != expected)
                throw BrokeOff(source, received, total, "the server closed the connection early", null);
            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }
    }

    /// <summary>One network read of the body; a failure there means the connection broke off.</summary>
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read, Uri source, long received, long? total, CancellationToken ct)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw BrokeOff(source, received, total, Reason(ex), ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw BrokeOff(source, received, total, $"no data for {IdleTimeout.TotalSeconds:0.#} s", ex);
        }
    }

    private static FoveaException CouldNotDownload(Uri source, string reason, Exception? inner) =>
        Wrap($"could not download CIFAR-10 from {source} ({reason}); {DataHint}", inner);

    private static FoveaException BrokeOff(Uri source, long received, long? total, string reason, Exception? inner) =>
        Wrap($"download of CIFAR-10 from {source} broke off after {received} of {(total is long t ? t.ToString() : "?")} bytes ({reason}); nothing was kept; run again, or {DataHint}", inner);

    private static FoveaException Wrap(string message, Exception? inner) => inner is null ? new(message) : new(message, inner);

    // "The SSL connection could not be established, see inner exception." says nothing; the inner one does.
    private static string Reason(Exception ex)
    {
        string message = ex.Message;
        if (ex.InnerException is { } inner && message.Contains("inner exception", StringComparison.OrdinalIgnoreCase))
            message = inner.Message;
        return Cifar10Format.OneLine(message);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the name ends in .part and is never taken for a finished archive.
        }
    }
}
