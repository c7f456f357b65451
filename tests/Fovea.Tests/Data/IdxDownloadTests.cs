using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>Downloading the four files of an IDX dataset into the cache, through the download code CIFAR-10 uses.</summary>
[Collection(DownloadCollection.Name)]
public sealed class IdxDownloadTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly IdxDatasetSpec _spec;
    private readonly Dictionary<string, byte[]> _files;

    public IdxDownloadTests()
    {
        string published = new FakeIdx().Write(_temp["published"], gzip: true);
        _spec = FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, published);
        _files = _spec.Files.ToDictionary(f => f.GzName, f => File.ReadAllBytes(Path.Combine(published, f.GzName)));
    }

    public void Dispose() => _temp.Dispose();

    private string CacheRoot => _temp["cache"];

    private sealed class ProgressLog : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Downloads_the_four_files_verified_then_loads()
    {
        await using var server = LocalHttpServer.ServingFiles(_files);
        var progress = new ProgressLog();

        string folder = await IdxDatasetLoader.EnsureAsync(_spec, CacheRoot, server.BaseUrl, progress, default);

        Assert.Equal(Path.Combine(CacheRoot, "fashion-mnist"), folder);
        Assert.Equal(_spec.Files.Select(f => Path.Combine("fashion-mnist", f.GzName)).Order(), Directory.GetFiles(CacheRoot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(CacheRoot, f)).Order());
        long total = _files.Values.Sum(b => (long)b.Length);
        Assert.Equal(new DownloadProgress(0, total), progress.Reports[0]);
        Assert.Equal(new DownloadProgress(total, total), progress.Reports[^1]);
        Assert.Equal(5, IdxDatasetLoader.Load(_spec, folder).Train.Count);
        Assert.Equal(4, server.Requests);
    }

    [Fact]
    public async Task Only_missing_files_are_fetched()
    {
        await using var server = LocalHttpServer.ServingFiles(_files);
        string cache = Path.Combine(CacheRoot, "fashion-mnist");
        Directory.CreateDirectory(cache);
        File.WriteAllBytes(Path.Combine(cache, "train-images-idx3-ubyte.gz"), _files["train-images-idx3-ubyte.gz"]);
        File.WriteAllBytes(Path.Combine(cache, "t10k-labels-idx1-ubyte"), new FakeIdx().PlainBytes("t10k-labels-idx1-ubyte"));

        await IdxDatasetLoader.EnsureAsync(_spec, CacheRoot, server.BaseUrl, null, default);

        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Wrong_checksum_fails_and_keeps_nothing_of_that_file()
    {
        var spec = _spec with { TestImages = _spec.TestImages with { PublishedMd5 = new string('a', 32) } };
        await using var server = LocalHttpServer.ServingFiles(_files);

        var ex = await Assert.ThrowsAsync<FoveaException>(() => IdxDatasetLoader.EnsureAsync(spec, CacheRoot, server.BaseUrl, null, default));

        Assert.Equal(
            $"Fashion-MNIST download from {server.BaseUrl}t10k-images-idx3-ubyte.gz failed its checksum: expected MD5 {new string('a', 32)}, got {FakeIdx.Md5(_files["t10k-images-idx3-ubyte.gz"])}; the file was deleted and nothing was kept",
            ex.Message);
        // The two files before it were verified and stay; nothing else, and no .part, is left.
        Assert.Equal(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"], Directory.GetFiles(Path.Combine(CacheRoot, "fashion-mnist")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Missing_file_on_the_server_says_how_to_do_without()
    {
        await using var server = LocalHttpServer.ServingFiles(_files.Where(f => f.Key != "train-labels-idx1-ubyte.gz").ToDictionary());

        var ex = await Assert.ThrowsAsync<FoveaException>(() => IdxDatasetLoader.EnsureAsync(_spec, CacheRoot, server.BaseUrl, null, default));

        Assert.Equal(
            $"could not download Fashion-MNIST from {server.BaseUrl}train-labels-idx1-ubyte.gz (HTTP 404 Not Found); download train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz) yourself and pass --data FOLDER",
            ex.Message);
    }

    [Fact]
    public async Task Source_must_be_a_folder()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => IdxDatasetLoader.EnsureAsync(_spec, CacheRoot, new Uri("http://127.0.0.1/x.gz"), null, default));

        Assert.StartsWith("source must be a folder URL ending in '/'; got http://127.0.0.1/x.gz", ex.Message);
    }
}
