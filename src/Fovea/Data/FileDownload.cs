using System.Security.Cryptography;

namespace Fovea.Data;

/// <summary>
/// Fetches one file into the dataset cache and keeps it only once its MD5 matches: the body streams to a temporary
/// file beside the destination, hashed as it goes, and is renamed to the final name only when verified. On any
/// failure the temporary file is deleted, so the cache never holds a partial or unverified file under the final name.
/// Shared by <see cref="Cifar10Download"/> and the IDX datasets; messages name the dataset (<c>what</c>) and end with
/// <c>dataHint</c>, which says how to do without the download.
/// </summary>
internal static class FileDownload
{
    /// <summary>How long the server may take to answer, and then how long it may go silent, before the download fails.</summary>
    public static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws the argument error a malformed expected MD5 deserves (before anything touches the network).</summary>
    public static void RequireMd5(string expectedMd5, string paramName)
    {
        if (expectedMd5 is not { Length: 32 } || !expectedMd5.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"{paramName} must be 32 hex digits; got '{expectedMd5}'", paramName);
    }

    /// <summary>Downloads <paramref name="source"/> to <paramref name="destination"/>, verified against <paramref name="expectedMd5"/>.</summary>
    /// <param name="progress">Reports bytes of this file, plus <paramref name="progressOffset"/> (files already fetched in a set).</param>
    /// <param name="destination">The file to write; replaced only once the download is verified.</param>
    /// <param name="source">The address to download from.</param>
    /// <param name="expectedMd5">The file's MD5, as 32 hex digits.</param>
    /// <param name="what">What the file is, for messages: <c>"CIFAR-10"</c>.</param>
    /// <param name="dataHint">What the user can do instead when the download fails, for the message.</param>
    /// <param name="ct">Cancels the download.</param>
    /// <param name="progressOffset">Bytes already fetched in a set of files, added to the progress reports.</param>
    /// <param name="progressTotal">Bytes of the whole set, when known; null reports this file's size.</param>
    /// <exception cref="FoveaException">The download failed or did not match its checksum; the one-line message says what to do.</exception>
    public static async Task DownloadVerifiedAsync(string destination, Uri source, string expectedMd5, string what, string dataHint,
                                                   IProgress<DownloadProgress>? progress, CancellationToken ct,
                                                   long progressOffset = 0, long? progressTotal = null)
    {
        string cacheFolder = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        string temp = $"{destination}.{Guid.NewGuid():N}.part";
        try
        {
            Directory.CreateDirectory(cacheFolder);
            string md5 = await DownloadAsync(temp, source, what, dataHint, progress, progressOffset, progressTotal, ct).ConfigureAwait(false);
            if (!md5.Equals(expectedMd5, StringComparison.OrdinalIgnoreCase))
                throw new FoveaException(
                    $"{what} download from {source} failed its checksum: expected MD5 {expectedMd5.ToLowerInvariant()}, got {md5}; the file was deleted and nothing was kept");
            File.Move(temp, destination, overwrite: true); // a concurrent run may have won; both copies are verified
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
    private static async Task<string> DownloadAsync(string temp, Uri source, string what, string dataHint, IProgress<DownloadProgress>? progress,
                                                    long progressOffset, long? progressTotal, CancellationToken ct)
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
            throw CouldNotDownload(what, source, Reason(ex), dataHint, ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw CouldNotDownload(what, source, $"no answer within {ConnectTimeout.TotalSeconds:0.#} s", dataHint, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw CouldNotDownload(what, source, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", dataHint, null);

            long? total = response.Content.Headers.ContentLength;
            long? reportedTotal = progressTotal ?? total;
            long received = 0;
            var failure = new BrokeOffMessage(what, source, dataHint);
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            await using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            byte[] buffer = new byte[1 << 16];
            progress?.Report(new DownloadProgress(progressOffset, reportedTotal));
            Stream body = await ReadAsync(() => response.Content.ReadAsStreamAsync(watchdog.Token), failure, received, total, ct).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    watchdog.CancelAfter(IdleTimeout); // re-armed for every read: only silence fails the download
                    int n = await ReadAsync(() => body.ReadAsync(buffer, watchdog.Token).AsTask(), failure, received, total, ct).ConfigureAwait(false);
                    if (n == 0) break;
                    md5.AppendData(buffer, 0, n);
                    // A failed write (disk full) is the cache's fault and is reported as such by DownloadVerifiedAsync.
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    received += n;
                    progress?.Report(new DownloadProgress(progressOffset + received, reportedTotal));
                }
            }
            // HttpClient already fails a body shorter than its Content-Length; this guards any handler that does not.
            if (total is long expected && received != expected)
                throw failure.Exception(received, total, "the server closed the connection early", null);
            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }
    }

    /// <summary>One network read of the body; a failure there means the connection broke off.</summary>
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read, BrokeOffMessage failure, long received, long? total, CancellationToken ct)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw failure.Exception(received, total, Reason(ex), ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw failure.Exception(received, total, $"no data for {IdleTimeout.TotalSeconds:0.#} s", ex);
        }
    }

    private sealed record BrokeOffMessage(string What, Uri Source, string DataHint)
    {
        public FoveaException Exception(long received, long? total, string reason, Exception? inner) =>
            Wrap($"download of {What} from {Source} broke off after {received} of {(total is long t ? t.ToString() : "?")} bytes ({reason}); nothing was kept; run again, or {DataHint}", inner);
    }

    private static FoveaException CouldNotDownload(string what, Uri source, string reason, string dataHint, Exception? inner) =>
        Wrap($"could not download {what} from {source} ({reason}); {dataHint}", inner);

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
            // Best effort: the name ends in .part and is never taken for a finished file.
        }
    }
}
