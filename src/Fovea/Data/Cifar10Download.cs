namespace Fovea.Data;

/// <summary>
/// Fetches the CIFAR-10 binary archive into the dataset cache (<see cref="FoveaHome.Datasets"/>) once, checks its MD5,
/// and returns its path for <see cref="Cifar10.Load"/>. Progress goes to an <see cref="IProgress{T}"/> so that the
/// library needs no console; the CLI draws the bar.
/// </summary>
public static class Cifar10Download
{
    /// <summary>The official archive's address, at the University of Toronto.</summary>
    public static readonly Uri DefaultSource = new("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");

    /// <summary>MD5 of the official archive, as published beside it.</summary>
    public const string PublishedMd5 = "c32a1d4ab5d03f1284b67883e8d87530";

    private const string DataHint = "download it yourself and pass --data PATH (a .tar.gz or a cifar-10-batches-bin folder)";

    /// <summary>How long the server may take to answer, and then how long it may go silent, before the download fails.</summary>
    internal static TimeSpan ConnectTimeout { get => FileDownload.ConnectTimeout; set => FileDownload.ConnectTimeout = value; }
    internal static TimeSpan IdleTimeout { get => FileDownload.IdleTimeout; set => FileDownload.IdleTimeout = value; }

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
        FileDownload.RequireMd5(expectedMd5, nameof(expectedMd5));

        string archive = Path.Combine(cacheFolder, Cifar10.ArchiveFileName);
        if (File.Exists(archive)) return archive; // only a verified download is ever renamed to this name
        string folder = Path.Combine(cacheFolder, Cifar10.FolderName);
        if (Directory.Exists(folder)) return folder;

        await FileDownload.DownloadVerifiedAsync(archive, source, expectedMd5, "CIFAR-10", DataHint, progress, ct).ConfigureAwait(false);
        return archive;
    }
}
