using Fovea.Data;
using Fovea.Tests.Data;

namespace Fovea.Tests.Imaging;

/// <summary><see cref="ImageSet"/> over a memory-mapped file and as a subset view, against the byte-array set.</summary>
public sealed class ImageSetStorageTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>7 images of 3x5x2 bytes, stored after a 100-byte prefix, and the same set in memory.</summary>
    private (ImageSet Mapped, ImageSet Array) Sets()
    {
        var pixels = new byte[7 * 3 * 5 * 2];
        new Random(3).NextBytes(pixels);
        string path = _temp["images.bin"];
        File.WriteAllBytes(path, [.. new byte[100], .. pixels, 9, 9]);
        return (ImageSet.MapFile(path, 100, 7, 3, 5, 2), new ImageSet(pixels, 7, 3, 5, 2));
    }

    [Fact]
    public void A_mapped_set_reads_the_same_images_as_the_array()
    {
        var (mapped, array) = Sets();

        Assert.True(mapped.IsMemoryMapped);
        Assert.False(array.IsMemoryMapped);
        Assert.Equal(array.Shape, mapped.Shape);
        for (int i = 0; i < 7; i++) Assert.True(array[i].SequenceEqual(mapped[i]), $"image {i}");
        Assert.Equal(array.Take(4).Pixels, mapped.Take(4).Pixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => mapped[7].Length);
        var e = Assert.Throws<InvalidOperationException>(() => mapped.Pixels);
        Assert.Contains("memory-mapped from", e.Message);
    }

    [Fact]
    public void A_subset_is_a_view_in_the_given_order_and_subsets_compose()
    {
        var (mapped, array) = Sets();

        foreach (var set in new[] { mapped, array })
        {
            ImageSet view = set.Subset([5, 0, 5, 2]);
            Assert.Equal(4, view.Count);
            Assert.Equal(set.IsMemoryMapped, view.IsMemoryMapped);
            Assert.True(view[0].SequenceEqual(array[5]) && view[1].SequenceEqual(array[0]) && view[2].SequenceEqual(array[5]) && view[3].SequenceEqual(array[2]));
            ImageSet nested = view.Subset([3, 1]);
            Assert.True(nested[0].SequenceEqual(array[2]) && nested[1].SequenceEqual(array[0]));
            Assert.Equal([.. array[2], .. array[0]], nested.Take(2).Pixels);
            Assert.Throws<InvalidOperationException>(() => view.Pixels);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => view.Subset([0, 4]));
            Assert.StartsWith("indices must be in [0, 4); got 4 at position 1", e.Message);
        }
    }

    [Fact]
    public void The_model_gathers_the_same_batch_from_either_storage()
    {
        var (mapped, array) = Sets();
        int[] batch = [6, 1, 1, 3];
        var fromMapped = new float[batch.Length * array.ImageSize];
        var fromArray = new float[batch.Length * array.ImageSize];

        DataSource.From(mapped.Subset([0, 1, 2, 3, 4, 5, 6])).Gather(fromMapped, batch);
        DataSource.From(array).Gather(fromArray, batch);

        Assert.Equal(fromArray, fromMapped);
        Assert.Equal(array[6][0] * (1f / 255f), fromMapped[0]);
    }

    [Fact]
    public void A_file_shorter_than_its_images_is_refused()
    {
        string path = _temp["short.bin"];
        File.WriteAllBytes(path, new byte[50]);

        Assert.Equal(2, ImageSet.MapFile(path, 10, 2, 4, 5, 1).Count); // 10 + 2 * 20 bytes: just fits
        var e = Assert.Throws<InvalidDataFileException>(() => ImageSet.MapFile(path, 10, 3, 4, 5, 1));
        Assert.Equal($"{path}: file is 50 bytes; the images need 70 (from byte 10)", e.Message);
        Assert.Equal(0, ImageSet.MapFile(path, 0, 0, 4, 5, 1).Count);
        Assert.Throws<InvalidDataFileException>(() => ImageSet.MapFile(_temp["missing.bin"], 0, 1, 1, 1, 1));
    }

    [Fact]
    public void A_mapped_set_past_2_GB_reads_its_last_image()
    {
        // A sparse file: 2.25 GB long on paper, a few pages on disk.
        const int side = 384, count = 5_200; // 384 * 384 * 3 = 442,368 bytes an image; 5,200 of them = 2.3 GB
        const int imageSize = side * side * 3;
        long length = (long)count * imageSize;
        Assert.True(length > int.MaxValue);
        string path = _temp["big.bin"];
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.SetLength(length);
            file.Position = length - imageSize;
            file.Write(Enumerable.Repeat((byte)7, imageSize).ToArray());
        }

        var set = ImageSet.MapFile(path, 0, count, side, side, 3);

        Assert.All(set[count - 1].ToArray(), b => Assert.Equal(7, b));
        Assert.All(set[count - 2].ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(7, set.Subset([count - 1])[0][imageSize - 1]);
    }
}
