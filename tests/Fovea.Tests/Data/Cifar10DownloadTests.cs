using System.Security.Cryptography;
using Fovea.Data;

namespace Fovea.Tests.Data;

[Collection(DownloadCollection.Name)]
public sealed class Cifar10DownloadTests : IDisposable
{
    private readonly TempFolder _cache = new();
    private readonly byte[] _archive = new FakeCifar10().ArchiveBytes();

    public void Dispose() => _cache.Dispose();

    private string Md5 => Convert.ToHexStringLower(MD5.HashData(_archive));

    /// <summary>Records reports synchronously; <see cref="Progress{T}"/> would post them to the thread pool.</summary>
    private sealed class ProgressLog : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Downloads_verifies_and_renames_then_loads()
    {
        await using var server = LocalHttpServer.Serving(_archive);
        var progress = new ProgressLog();

        string path = await Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5.ToUpperInvariant(), progress);

        Assert.Equal(_cache["cifar-10-binary.tar.gz"], path);
        Assert.Equal(["cifar-10-binary.tar.gz"], _cache.Files()); // no .part left
        Assert.Equal(new DownloadProgress(0, _archive.Length), progress.Reports[0]);
        Assert.Equal(new DownloadProgress(_archive.Length, _archive.Length), progress.Reports[^1]);
        Assert.Equal(1.0, progress.Reports[^1].Fraction);
        Assert.Equal(15, Cifar10.Load(path).Train.Count);
    }

    [Fact]
    public async Task Cached_archive_is_used_without_a_request()
    {
        await using var server = LocalHttpServer.Serving(_archive);
        await Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5);

        string again = await Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5);

        Assert.Equal(_cache["cifar-10-binary.tar.gz"], again);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Extracted_folder_in_the_cache_is_used_without_a_request()
    {
        string folder = new FakeCifar10().WriteFolder(_cache.Path);

        Assert.Equal(folder, await Cifar10Download.EnsureAsync(_cache.Path, LocalHttpServer.Unreachable(), Md5));
    }

    [Fact]
    public async Task Wrong_checksum_fails_and_keeps_nothing()
    {
        await using var server = LocalHttpServer.Serving(_archive);
        string wrong = new('0', 32);

        var ex = await Assert.ThrowsAsync<FoveaException>(() => Cifar10Download.EnsureAsync(_cache.Path, server.Url, wrong));

        Assert.Equal($"CIFAR-10 download from {server.Url} failed its checksum: expected MD5 {wrong}, got {Md5}; the file was deleted and nothing was kept", ex.Message);
        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Connection_dropped_half_way_fails_and_keeps_nothing()
    {
        await using var server = LocalHttpServer.Serving(_archive, sendOnly: _archive.Length / 2);

        var ex = await Assert.ThrowsAsync<FoveaException>(() => Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5));

        Assert.StartsWith($"download of CIFAR-10 from {server.Url} broke off after {_archive.Length / 2} of {_archive.Length} bytes (", ex.Message);
        Assert.EndsWith("); nothing was kept; run again, or download it yourself and pass --data PATH (a .tar.gz or a cifar-10-batches-bin folder)", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Silent_server_times_out_and_keeps_nothing()
    {
        await using var server = LocalHttpServer.Stalling(_archive.Length);
        TimeSpan saved = Cifar10Download.IdleTimeout;
        Cifar10Download.IdleTimeout = TimeSpan.FromMilliseconds(300);
        try
        {
            var ex = await Assert.ThrowsAsync<FoveaException>(() => Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5));

            Assert.Contains("broke off after 10 of", ex.Message);
            Assert.Contains("(no data for 0.3 s)", ex.Message);
        }
        finally
        {
            Cifar10Download.IdleTimeout = saved;
        }
        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Unreachable_host_says_how_to_pass_a_local_copy()
    {
        Uri url = LocalHttpServer.Unreachable();

        var ex = await Assert.ThrowsAsync<FoveaException>(() => Cifar10Download.EnsureAsync(_cache.Path, url, Md5));

        Assert.StartsWith($"could not download CIFAR-10 from {url} (Connection refused", ex.Message);
        Assert.EndsWith("); download it yourself and pass --data PATH (a .tar.gz or a cifar-10-batches-bin folder)", ex.Message);
        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Http_error_status_is_reported()
    {
        await using var server = LocalHttpServer.Status(404, "Not Found");

        var ex = await Assert.ThrowsAsync<FoveaException>(() => Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5));

        Assert.StartsWith($"could not download CIFAR-10 from {server.Url} (HTTP 404 Not Found); download it yourself", ex.Message);
        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Cancellation_is_not_a_download_error_and_keeps_nothing()
    {
        await using var server = LocalHttpServer.Stalling(_archive.Length);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Cifar10Download.EnsureAsync(_cache.Path, server.Url, Md5, ct: cts.Token));

        Assert.Empty(_cache.Files());
    }

    [Fact]
    public async Task Bad_expected_md5_is_an_argument_error()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Cifar10Download.EnsureAsync(_cache.Path, LocalHttpServer.Unreachable(), "xyz"));

        Assert.StartsWith("expectedMd5 must be 32 hex digits; got 'xyz'", ex.Message);
    }

    [Fact]
    public void Home_is_FOVEA_HOME_when_set_else_dot_fovea_in_the_user_folder()
    {
        // The rule itself, with the variable's value passed in: changing the process's environment would move the
        // cache of every test running beside this one.
        Assert.Equal(_cache.Path, FoveaHome.Locate(_cache.Path, "/home/someone"));
        Assert.Equal(Path.Combine("/home/someone", ".fovea"), FoveaHome.Locate(null, "/home/someone"));
        Assert.Equal(Path.Combine("/home/someone", ".fovea"), FoveaHome.Locate("  ", "/home/someone"));
        Assert.Equal(Path.GetFullPath("relative-home"), FoveaHome.Locate("relative-home", "/home/someone"));
        var ex = Assert.Throws<FoveaException>(() => FoveaHome.Locate(null, ""));
        Assert.Contains("set FOVEA_HOME to a writable folder", ex.Message);
    }
}
