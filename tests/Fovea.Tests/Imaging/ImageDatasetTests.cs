using Fovea.Data;
using Fovea.Imaging;
using Fovea.Tests.Data;
using Fovea.Training;
using SkiaSharp;
using static Fovea.Tests.Imaging.PictureFolder;

namespace Fovea.Tests.Imaging;

public sealed class ImageDatasetTests : IDisposable
{
    private static readonly SKColor Red = new(200, 30, 60);
    private static readonly SKColor Green = new(20, 180, 40);
    private static readonly SKColor Blue = new(40, 90, 160);
    private static readonly SKColor Yellow = new(240, 220, 10);
    private static readonly SKColor Black = new(0, 0, 0);
    private const byte Grey = 77;

    private readonly TempFolder _temp = new();
    private string Cache => _temp["cache"];

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Three classes of mixed formats, sizes and aspect ratios; grey, RGBA and paletted pictures; three files that are
    /// not readable pictures, and files that are not pictures at all or hidden.
    /// </summary>
    private string MixedFolder()
    {
        string root = _temp["photos"];
        Write(root, "birds/green.webp", Solid(48, 48, Green, SKEncodedImageFormat.Webp));
        Write(root, "birds/nested/tiny.gif", ImageLoaderTests.Gif2x2([[10, 10, 200], [10, 10, 200], [10, 10, 200], [10, 10, 200]]));
        Write(root, "birds/readme.txt", "not a picture, and not named like one");
        Write(root, "birds/.DS_Store", [0, 0, 0, 1]);
        Write(root, "cats/corrupt.jpg", TruncatedJpeg());
        Write(root, "cats/gray.png", GreyPng(20, 20, Grey));
        Write(root, "cats/red.PNG", Solid(40, 30, Red));
        Write(root, "dogs/blue.bmp", Solid(16, 12, Blue, SKEncodedImageFormat.Bmp));
        Write(root, "dogs/empty.webp", []);
        Write(root, "dogs/notes.png", "hello: a text file named like a picture");
        Write(root, "dogs/rgba.png", TranslucentPng(24, 24, Red, alpha: 0));
        // 32 wide, 96 tall: the centre crop to a square is rows 32..63, inside the yellow band (rows 16..79, wider
        // than the crop because JPEG's chroma upsampling blurs across an edge); squashing would bring in the black.
        Write(root, "dogs/tall.jpg", Framed(32, 96, 32, 64, Black, Yellow, SKEncodedImageFormat.Jpeg));
        Write(root, "labels.csv", "file,label\n");
        Write(root, ".thumbnails/birds/x.png", Solid(8, 8, Red));
        return root;
    }

    private static string[] LoadedFiles =>
        ["birds/green.webp", "birds/nested/tiny.gif", "cats/gray.png", "cats/red.PNG", "dogs/blue.bmp", "dogs/rgba.png", "dogs/tall.jpg"];

    private static void AssertSolid(ReadOnlySpan<byte> image, int channels, byte[] colour, int tolerance, string what)
    {
        for (int i = 0; i < image.Length; i++)
            Assert.True(Math.Abs(image[i] - colour[i % channels]) <= tolerance,
                $"{what}: byte {i} (pixel {i / channels}) is {image[i]}, expected {colour[i % channels]} ± {tolerance}");
    }

    [Fact]
    public void Mixed_folder_gives_labels_by_folder_solid_colours_and_a_report_of_the_skipped_files()
    {
        string root = MixedFolder();

        var data = ImageDataset.FromDirectory(root, imageSize: (32, 32), cacheDirectory: Cache);

        Assert.Equal(["birds", "cats", "dogs"], data.ClassNames);
        Assert.Equal(LoadedFiles, data.TrainFiles);
        Assert.Equal([0, 0, 1, 1, 2, 2, 2], data.Train.Labels);
        Assert.Equal((7, 32, 32, 3), (data.Train.Images.Count, data.Train.Images.Height, data.Train.Images.Width, data.Train.Images.Channels));
        Assert.Null(data.Validation);
        Assert.Null(data.Test);

        var images = data.Train.Images;
        AssertSolid(images[0], 3, [Green.Red, Green.Green, Green.Blue], 3, "lossy WebP");
        AssertSolid(images[1], 3, [10, 10, 200], 0, "paletted GIF");
        AssertSolid(images[2], 3, [Grey, Grey, Grey], 0, "grey PNG");
        AssertSolid(images[3], 3, [Red.Red, Red.Green, Red.Blue], 0, "RGB PNG, 40x30 cropped and enlarged");
        AssertSolid(images[4], 3, [Blue.Red, Blue.Green, Blue.Blue], 0, "BMP");
        AssertSolid(images[5], 3, [255, 255, 255], 0, "transparent RGBA flattened onto white");
        AssertSolid(images[6], 3, [Yellow.Red, Yellow.Green, Yellow.Blue], 8, "JPEG centre crop of a tall picture");

        var report = data.Report;
        Assert.Equal((10, 3, 7, 3, 2), (report.FilesFound, report.Classes, report.TrainCount, report.SkippedCount, report.IgnoredFiles));
        Assert.Equal(["cats/corrupt.jpg", "dogs/empty.webp", "dogs/notes.png"], report.FirstSkipped.Select(s => s.File));
        Assert.StartsWith("image data is truncated", report.FirstSkipped[0].Reason);
        Assert.StartsWith("not a supported image", report.FirstSkipped[1].Reason);
        Assert.StartsWith("not a supported image", report.FirstSkipped[2].Reason);
        Assert.Equal(CacheUse.Created, report.Cache);
        Assert.Equal(10, report.Decoded);
        Assert.StartsWith(Cache, report.CachePath);
        Assert.Contains("Found 10 files belonging to 3 classes.", report.ToString());
        Assert.Contains("Skipped 3 that could not be read:", report.ToString());
        Assert.Contains("  cats/corrupt.jpg: image data is truncated", report.ToString());
        Assert.True(images.IsMemoryMapped);
    }

    [Fact]
    public void Grayscale_mode_gives_one_channel_of_luma()
    {
        string root = MixedFolder();

        var data = ImageDataset.FromDirectory(root, imageSize: (12, 12), colorMode: ColorMode.Grayscale, cacheDirectory: Cache);

        var images = data.Train.Images;
        Assert.Equal((12, 12, 1), (images.Height, images.Width, images.Channels));
        Assert.Equal(ColorMode.Grayscale, data.ColorMode);
        AssertSolid(images[2], 1, [Grey], 0, "grey PNG keeps its level");
        AssertSolid(images[3], 1, [84], 0, "red (200, 30, 60): 0.299*200 + 0.587*30 + 0.114*60 = 84.2");
        AssertSolid(images[5], 1, [255], 0, "white");
    }

    [Fact]
    public void A_non_square_size_crops_to_its_aspect_ratio()
    {
        string root = _temp["wide"];
        // 64x64, yellow in the centre band 64 wide and 32 tall: exactly the crop to a 2:1 (width:height) size.
        Write(root, "a/framed.png", Framed(64, 64, 64, 32, Black, Yellow, SKEncodedImageFormat.Png));
        Write(root, "b/plain.png", Solid(10, 10, Red));

        var data = ImageDataset.FromDirectory(root, imageSize: (16, 32), cacheDirectory: Cache);

        Assert.Equal((16, 32), (data.Train.Images.Height, data.Train.Images.Width));
        AssertSolid(data.Train.Images[0], 3, [Yellow.Red, Yellow.Green, Yellow.Blue], 0, "the 64x32 centre band halved");
    }

    [Fact]
    public void Training_and_prediction_see_a_picture_the_same_way()
    {
        string root = MixedFolder();

        var data = ImageDataset.FromDirectory(root, imageSize: (32, 32), cacheDirectory: Cache);

        for (int i = 0; i < LoadedFiles.Length; i++)
            Assert.True(data.Train.Images[i].SequenceEqual(ImageLoader.LoadForModel(Path.Combine(root, LoadedFiles[i]), 32)), LoadedFiles[i]);
    }

    [Fact]
    public void Strict_mode_throws_naming_the_first_unreadable_file_before_and_after_caching()
    {
        string root = MixedFolder();
        string corrupt = Path.Combine(root, "cats", "corrupt.jpg");

        var e = Assert.Throws<InvalidDataFileException>(() => ImageDataset.FromDirectory(root, strict: true, cacheDirectory: Cache));
        Assert.StartsWith($"{corrupt}: image data is truncated", e.Message);
        Assert.Empty(Directory.GetFiles(Cache)); // nothing half-written is left

        ImageDataset.FromDirectory(root, cacheDirectory: Cache); // caches, skipping
        var again = Assert.Throws<InvalidDataFileException>(() => ImageDataset.FromDirectory(root, strict: true, cacheDirectory: Cache));
        Assert.StartsWith($"{corrupt}: image data is truncated", again.Message);
    }

    [Fact]
    public void The_second_load_maps_the_cache_without_decoding()
    {
        string root = MixedFolder();
        var first = ImageDataset.FromDirectory(root, cacheDirectory: Cache);

        var second = ImageDataset.FromDirectory(root, cacheDirectory: Cache);

        Assert.Equal((CacheUse.Reused, 0), (second.Report.Cache, second.Report.Decoded));
        Assert.Equal(first.Report.CachePath, second.Report.CachePath);
        Assert.Equal(first.Train.Labels, second.Train.Labels);
        Assert.Equal(first.TrainFiles, second.TrainFiles);
        Assert.Equal(first.Report.FirstSkipped, second.Report.FirstSkipped);
        for (int i = 0; i < first.Train.Count; i++) Assert.True(first.Train.Images[i].SequenceEqual(second.Train.Images[i]), $"image {i}");
        Assert.Single(Directory.GetFiles(Cache));

        // Another size or colour mode is another cache.
        var grey = ImageDataset.FromDirectory(root, colorMode: ColorMode.Grayscale, cacheDirectory: Cache);
        Assert.Equal(CacheUse.Created, grey.Report.Cache);
        Assert.Equal(2, Directory.GetFiles(Cache).Length);
    }

    [Fact]
    public void A_changed_added_or_removed_file_rebuilds_the_cache()
    {
        string root = MixedFolder();
        ImageDataset.FromDirectory(root, cacheDirectory: Cache);

        string red = Write(root, "cats/red.PNG", Solid(40, 30, Blue));
        File.SetLastWriteTimeUtc(red, DateTime.UtcNow.AddMinutes(1)); // even within the file system's timestamp resolution
        var changed = ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        Assert.Equal((CacheUse.Rebuilt, 10), (changed.Report.Cache, changed.Report.Decoded));
        Assert.Contains("changed", changed.Report.CacheRebuildReason);
        AssertSolid(changed.Train.Images[3], 3, [Blue.Red, Blue.Green, Blue.Blue], 0, "the new picture");

        Write(root, "cats/extra.png", Solid(8, 8, Green));
        var added = ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        Assert.Equal((CacheUse.Rebuilt, 11, 8), (added.Report.Cache, added.Report.Decoded, added.Train.Count));

        File.Delete(Path.Combine(root, "cats", "extra.png"));
        var removed = ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        Assert.Equal((CacheUse.Rebuilt, 7), (removed.Report.Cache, removed.Train.Count));
        Assert.Equal(CacheUse.Reused, ImageDataset.FromDirectory(root, cacheDirectory: Cache).Report.Cache);
        Assert.Single(Directory.GetFiles(Cache)); // rebuilt in place, not left behind
    }

    [Fact]
    public void Linked_pictures_are_read_and_a_folder_link_loop_is_not_followed()
    {
        string root = _temp["linked"];
        string outside = Write(_temp.Path, "pool/red.png", Solid(8, 8, Red));
        Write(root, "b/blue.png", Solid(8, 8, Blue));
        File.CreateSymbolicLink(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "a")).FullName, "red.png"), outside);
        Directory.CreateSymbolicLink(Path.Combine(root, "a", "loop"), root);

        var data = ImageDataset.FromDirectory(root, imageSize: (8, 8), cacheDirectory: Cache);

        Assert.Equal(["a/red.png", "b/blue.png"], data.TrainFiles);
        AssertSolid(data.Train.Images[0], 3, [Red.Red, Red.Green, Red.Blue], 0, "through the link");

        // The target's size and time key the cache, not the link's.
        Write(_temp.Path, "pool/red.png", Solid(8, 8, Green, SKEncodedImageFormat.Webp));
        File.SetLastWriteTimeUtc(outside, DateTime.UtcNow.AddMinutes(1));
        var changed = ImageDataset.FromDirectory(root, imageSize: (8, 8), cacheDirectory: Cache);
        Assert.Equal(CacheUse.Rebuilt, changed.Report.Cache);
        AssertSolid(changed.Train.Images[0], 3, [Green.Red, Green.Green, Green.Blue], 3, "the new target");
    }

    public enum Damage { Empty, Truncated, Extended, HeaderByte, KeyByte, SkipListByte, Garbage }

    [Theory]
    [InlineData(Damage.Empty, "shorter than its")]
    [InlineData(Damage.Truncated, "its header says")]
    [InlineData(Damage.Extended, "its header says")]
    [InlineData(Damage.HeaderByte, "checksum")]
    [InlineData(Damage.KeyByte, "checksum")]
    [InlineData(Damage.SkipListByte, "skip list's checksum")]
    [InlineData(Damage.Garbage, "bad magic")]
    public void A_damaged_cache_is_rebuilt_never_trusted(Damage damage, string reason)
    {
        string root = MixedFolder();
        var first = ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        string path = first.Report.CachePath;
        byte[] bytes = File.ReadAllBytes(path);
        byte[] damaged = damage switch
        {
            Damage.Empty => [],
            Damage.Truncated => bytes[..^1],
            Damage.Extended => [.. bytes, 0],
            Damage.HeaderByte => Flip(bytes, 16),
            Damage.KeyByte => Flip(bytes, 50),
            Damage.SkipListByte => Flip(bytes, bytes.Length - 3),
            _ => Enumerable.Range(0, bytes.Length).Select(i => (byte)(i * 31)).ToArray(),
        };
        // Replaced by a rename, as the library does: the first load still maps the old file.
        File.WriteAllBytes(path + ".new", damaged);
        File.Move(path + ".new", path, overwrite: true);

        var rebuilt = ImageDataset.FromDirectory(root, cacheDirectory: Cache);

        Assert.Equal((CacheUse.Rebuilt, 10), (rebuilt.Report.Cache, rebuilt.Report.Decoded));
        Assert.Contains(reason, rebuilt.Report.CacheRebuildReason);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(CacheUse.Reused, ImageDataset.FromDirectory(root, cacheDirectory: Cache).Report.Cache);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = bytes.ToArray();
        copy[at] ^= 0x40;
        return copy;
    }

    /// <summary>Classes of 10, 21 and 5 pictures, each picture's red level its number within the class.</summary>
    private string NumberedFolder()
    {
        string root = _temp["numbered"];
        foreach (var (name, count) in new[] { ("ants", 10), ("bees", 21), ("wasps", 5) })
            for (int i = 0; i < count; i++)
                Write(root, $"{name}/{i:D2}.png", Solid(4, 4, new SKColor((byte)(10 * i), (byte)name.Length, 0)));
        return root;
    }

    [Fact]
    public void Validation_split_is_stratified_stable_for_a_seed_and_differs_between_seeds()
    {
        string root = NumberedFolder();

        var a = ImageDataset.FromDirectory(root, imageSize: (4, 4), validationSplit: 0.2, seed: 1, cacheDirectory: Cache);
        var again = ImageDataset.FromDirectory(root, imageSize: (4, 4), validationSplit: 0.2, seed: 1, cacheDirectory: Cache);
        var other = ImageDataset.FromDirectory(root, imageSize: (4, 4), validationSplit: 0.2, seed: 2, cacheDirectory: Cache);

        var validation = a.Validation!;
        // round(0.2 * n) of each class: 2 of 10, 4 of 21, 1 of 5.
        Assert.Equal([2, 4, 1], Enumerable.Range(0, 3).Select(c => validation.Labels.Count(l => l == c)));
        Assert.Equal([8, 17, 4], Enumerable.Range(0, 3).Select(c => a.Train.Labels.Count(l => l == c)));
        Assert.Equal((29, 7), (a.Report.TrainCount, a.Report.ValidationCount));
        Assert.Empty(a.TrainFiles.Intersect(a.ValidationFiles));
        Assert.Equal(36, a.TrainFiles.Union(a.ValidationFiles).Count());
        Assert.Equal(a.ValidationFiles, again.ValidationFiles);
        Assert.Equal(a.TrainFiles, again.TrainFiles);
        Assert.NotEqual(a.ValidationFiles, other.ValidationFiles);
        Assert.Equal((CacheUse.Reused, CacheUse.Reused), (again.Report.Cache, other.Report.Cache)); // the split is not part of the cache

        // Each held-out image is its file's pixels, with its folder's label.
        for (int i = 0; i < validation.Count; i++)
        {
            string file = a.ValidationFiles[i];
            Assert.Equal(a.ClassNames[validation.Labels[i]], file.Split('/')[0]);
            Assert.Equal(10 * int.Parse(file[^6..^4]), validation.Images[i][0]);
            Assert.Equal(file.Split('/')[0].Length, validation.Images[i][1]);
        }
    }

    [Theory]
    [InlineData(1, 0.5, 0)]
    [InlineData(2, 0.01, 1)]
    [InlineData(3, 0.99, 2)]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(100, 0.2, 20)]
    public void Validation_count_holds_out_a_rounded_share_but_keeps_each_class_on_both_sides(int pictures, double split, int expected) =>
        Assert.Equal(expected, ImageDataset.ValidationCount(pictures, split));

    [Fact]
    public void A_train_test_layout_fills_train_validation_and_test()
    {
        string root = _temp["split"];
        foreach (string folder in new[] { "train", "val", "test" })
            foreach (var (name, colour) in new[] { ("cat", Red), ("dog", Blue) })
                for (int i = 0; i < (folder == "train" ? 3 : 2); i++)
                    Write(root, $"{folder}/{name}/{i}.png", Solid(6, 6, colour));
        Write(root, "test/cat/broken.png", "oops");

        var data = ImageDataset.FromDirectory(root, imageSize: (6, 6), cacheDirectory: Cache);

        Assert.Equal(["cat", "dog"], data.ClassNames);
        Assert.Equal([0, 0, 0, 1, 1, 1], data.Train.Labels);
        Assert.Equal([0, 0, 1, 1], data.Validation!.Labels);
        Assert.Equal([0, 0, 1, 1], data.Test!.Labels);
        Assert.Equal(["test/cat/0.png", "test/cat/1.png", "test/dog/0.png", "test/dog/1.png"], data.TestFiles);
        Assert.Equal(["test/cat/broken.png"], data.Report.FirstSkipped.Select(s => s.File));
        AssertSolid(data.Test.Images[3], 3, [Blue.Red, Blue.Green, Blue.Blue], 0, "test dog");
        Assert.Equal((6, 4, 4), (data.Report.TrainCount, data.Report.ValidationCount, data.Report.TestCount));

        var e = Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(root, validationSplit: 0.5, cacheDirectory: Cache));
        Assert.Contains("validationSplit must be 0 when", e.Message);

        Directory.Delete(Path.Combine(root, "val"), recursive: true);
        var split = ImageDataset.FromDirectory(root, imageSize: (6, 6), validationSplit: 0.4, cacheDirectory: Cache);
        Assert.Equal((4, 2, 4), (split.Report.TrainCount, split.Report.ValidationCount, split.Report.TestCount));
        Assert.All(split.ValidationFiles, f => Assert.StartsWith("train/", f));
    }

    [Fact]
    public void Errors_say_what_was_found()
    {
        string Message(Action load) => Assert.ThrowsAny<FoveaException>(load).Message;
        ImageDataset Load(string root) => ImageDataset.FromDirectory(root, cacheDirectory: Cache);

        string missing = _temp["missing"];
        Assert.Equal($"{missing}: no such folder", Message(() => Load(missing)));

        string file = Write(_temp.Path, "file.png", Solid(4, 4, Red));
        Assert.StartsWith($"{file}: is a file", Message(() => Load(file)));

        string flat = _temp["flat"];
        Write(flat, "a.png", Solid(4, 4, Red));
        Write(flat, "b.png", Solid(4, 4, Red));
        Assert.Equal($"{flat}: no class folders found; expected one sub-folder of pictures per class (e.g. cats/, dogs/), or train/ and test/ folders holding them; found 2 files and no folders",
            Message(() => Load(flat)));

        string one = _temp["one"];
        Write(one, "cats/a.png", Solid(4, 4, Red));
        Assert.Equal($"{one}: found only one class folder ('cats'); a classifier needs at least two", Message(() => Load(one)));

        string empty = _temp["empty"];
        Write(empty, "cats/a.png", Solid(4, 4, Red));
        Write(empty, "dogs/notes.txt", "no pictures here");
        Directory.CreateDirectory(Path.Combine(empty, "fish"));
        Assert.Equal($"{empty}: class folders 'dogs', 'fish' hold no pictures (png, jpg, jpeg, bmp, gif, webp); every class needs at least one",
            Message(() => Load(empty)));

        string unreadable = _temp["unreadable"];
        Write(unreadable, "cats/a.png", Solid(4, 4, Red));
        Write(unreadable, "dogs/a.png", "text");
        Write(unreadable, "dogs/b.jpg", []);
        Assert.Equal($"{unreadable}: class 'dogs' has no readable pictures: all 2 were skipped (first: dogs/a.png: not a supported image (PNG, JPEG, BMP, GIF, WebP))",
            Message(() => Load(unreadable)));

        string none = _temp["none"];
        Write(none, "cats/a.png", "text");
        Write(none, "dogs/a.png", "text");
        Assert.StartsWith($"{none}: none of the 2 pictures could be read; the first, cats/a.png: not a supported image", Message(() => Load(none)));

        string unknown = _temp["unknown"];
        Write(unknown, "train/cats/a.png", Solid(4, 4, Red));
        Write(unknown, "train/dogs/a.png", Solid(4, 4, Red));
        Write(unknown, "test/cows/a.png", Solid(4, 4, Red));
        Assert.Equal($"{Path.Combine(unknown, "test")}: class folder 'cows' not among train/'s classes (cats, dogs)", Message(() => Load(unknown)));
    }

    [Fact]
    public void Bad_arguments_are_refused_by_name()
    {
        string root = MixedFolder();

        var size = Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(root, imageSize: (0, 32), cacheDirectory: Cache));
        Assert.StartsWith("imageSize must be positive and at most 50 megapixels; got (0, 32)", size.Message);
        var split = Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(root, validationSplit: 1, cacheDirectory: Cache));
        Assert.StartsWith("validationSplit must be in [0, 1); got 1", split.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(root, validationSplit: double.NaN, cacheDirectory: Cache));
        var mode = Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(root, colorMode: (ColorMode)7, cacheDirectory: Cache));
        Assert.StartsWith("colorMode must be Rgb or Grayscale; got 7", mode.Message);
        var inside = Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(root, cacheDirectory: Path.Combine(root, "cats")));
        Assert.StartsWith($"cacheDirectory must be outside the dataset folder {root}", inside.Message);
        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(root, cacheDirectory: Path.Combine(root, "..cache")));
        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(root, cacheDirectory: root));
    }

    [Fact]
    public void The_dataset_folder_is_never_written()
    {
        string root = MixedFolder();
        string before = TreeHash(root);

        ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        ImageDataset.FromDirectory(root, cacheDirectory: Cache);
        ImageDataset.FromDirectory(root, colorMode: ColorMode.Grayscale, validationSplit: 0.5, cacheDirectory: Cache);
        Assert.Throws<InvalidDataFileException>(() => ImageDataset.FromDirectory(root, strict: true, imageSize: (8, 8), cacheDirectory: Cache));

        Assert.Equal(before, TreeHash(root));
    }

    [Fact]
    public void Progress_is_reported_while_decoding_up_to_the_total()
    {
        string root = NumberedFolder();
        var seen = new List<ImageLoadProgress>();
        var progress = new SynchronousProgress(p => { lock (seen) seen.Add(p); });

        ImageDataset.FromDirectory(root, imageSize: (4, 4), progress: progress, cacheDirectory: Cache);

        Assert.NotEmpty(seen);
        Assert.Equal(new ImageLoadProgress(36, 36), seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Decoded < p.Second.Decoded), "progress must only go up");

        seen.Clear();
        ImageDataset.FromDirectory(root, imageSize: (4, 4), progress: progress, cacheDirectory: Cache);
        Assert.Empty(seen); // nothing decoded
    }

    /// <summary>Unlike <see cref="Progress{T}"/>, reports on the calling thread, before Report returns.</summary>
    private sealed class SynchronousProgress(Action<ImageLoadProgress> report) : IProgress<ImageLoadProgress>
    {
        public void Report(ImageLoadProgress value) => report(value);
    }

    [Fact]
    public void A_model_trains_on_the_memory_mapped_pictures()
    {
        string root = NumberedFolder();
        var data = ImageDataset.FromDirectory(root, imageSize: (4, 4), validationSplit: 0.2, cacheDirectory: Cache);
        var model = new Fovea.Models.Sequential(
            new Fovea.Layers.Flatten(inputShape: new Shape(4, 4, 3)),
            new Fovea.Layers.Dense(3, activation: Fovea.Layers.Activation.Softmax));
        model.Compile(optimizer: new Fovea.Optimizers.Adam(learningRate: 1e-2f), loss: new Fovea.Losses.SparseCategoricalCrossentropy(), metrics: ["accuracy"]);

        var history = model.Fit(data.Train.Images, data.Train.Labels, batchSize: 8, epochs: 2, verbose: 0,
            validationData: (data.Validation!.Images, data.Validation.Labels));

        Assert.Equal(2, history["val_loss"].Count);
        Assert.True(double.IsFinite(history["loss"][^1]));
    }
}
