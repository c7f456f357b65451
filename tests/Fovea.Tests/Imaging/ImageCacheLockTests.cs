using Fovea.Imaging;
using Fovea.Tests.Data;
using SkiaSharp;
using static Fovea.Tests.Imaging.PictureFolder;

namespace Fovea.Tests.Imaging;

/// <summary>
/// Several loaders of one picture folder at once (the processes of a distributed run): one decodes and writes the
/// cache, the others wait for it and read it; every one sees the same pixels, and no temporary file is left.
/// </summary>
public sealed class ImageCacheLockTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Loaders_starting_together_decode_the_folder_once_and_read_the_same_cache()
    {
        string root = _temp["photos"], cache = _temp["cache"];
        foreach (var (name, count) in new[] { ("ants", 40), ("bees", 40) })
            for (int i = 0; i < count; i++)
                Write(root, $"{name}/{i:D2}.png", Solid(24, 24, new SKColor((byte)(5 * i), (byte)name[0], 7)));
        const int Loaders = 4;
        var finishedDecoding = new int[Loaders];
        using var start = new Barrier(Loaders);
        var loads = Enumerable.Range(0, Loaders).Select(n => Task.Factory.StartNew(() =>
        {
            var progress = new CountingProgress(p => { if (p.Decoded == p.Total) Interlocked.Increment(ref finishedDecoding[n]); });
            start.SignalAndWait();
            return ImageDataset.FromDirectory(root, imageSize: (8, 8), progress: progress, cacheDirectory: cache);
        }, TaskCreationOptions.LongRunning)).ToArray();
        var datasets = await Task.WhenAll(loads);

        Assert.Equal(1, finishedDecoding.Sum());
        var first = datasets[0].Train.Images;
        foreach (var dataset in datasets)
        {
            var images = dataset.Train.Images;
            Assert.Equal(first.Count, images.Count);
            for (int i = 0; i < images.Count; i++) Assert.True(first[i].SequenceEqual(images[i]), $"image {i} differs between loaders");
        }
        string[] files = [.. Directory.GetFiles(cache).Select(Path.GetFileName).Order()!];
        Assert.Matches(@"^images-[0-9a-f]+\.bin$", Assert.Single(files));
    }

    /// <summary>Reports on the decoding thread, before Report returns.</summary>
    private sealed class CountingProgress(Action<ImageLoadProgress> report) : IProgress<ImageLoadProgress>
    {
        public void Report(ImageLoadProgress value) => report(value);
    }
}
