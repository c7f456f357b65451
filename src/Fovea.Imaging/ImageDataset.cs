using Fovea.Data;

namespace Fovea.Imaging;

/// <summary>
/// Pictures in class folders as a labelled dataset, like Keras's <c>image_dataset_from_directory</c> and
/// torchvision's <c>ImageFolder</c>:
/// <code>
/// var data = ImageDataset.FromDirectory("photos", imageSize: (32, 32), validationSplit: 0.2, seed: 1337);
/// model.Fit(data.Train.Images, data.Train.Labels, validationData: (data.Validation!.Images, data.Validation.Labels));
/// </code>
/// The pictures are decoded once into a cache file and memory-mapped from it, so later runs start at once and a
/// dataset larger than memory still trains.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>32x32, what the model zoo's networks take (Keras's default is 256x256, a lot for a CPU).</summary>
    public static readonly (int Height, int Width) DefaultImageSize = (32, 32);

    private ImageDataset(IReadOnlyList<string> classNames, (int Height, int Width) imageSize, ColorMode colorMode,
        LabeledImages train, IReadOnlyList<string> trainFiles, LabeledImages? validation, IReadOnlyList<string> validationFiles,
        LabeledImages? test, IReadOnlyList<string> testFiles, ImageDatasetReport report)
    {
        ClassNames = classNames;
        ImageSize = imageSize;
        ColorMode = colorMode;
        Train = train;
        TrainFiles = trainFiles;
        Validation = validation;
        ValidationFiles = validationFiles;
        Test = test;
        TestFiles = testFiles;
        Report = report;
    }

    /// <summary>The class folders' names in ordinal order; label i is ClassNames[i].</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The size every picture was centre-cropped and resized to: a model built on this set takes it as its input.</summary>
    public (int Height, int Width) ImageSize { get; }

    /// <summary>The channels every picture became (RGB or grayscale), whatever the files held.</summary>
    public ColorMode ColorMode { get; }

    /// <summary>The training pictures (all of them without a validation split), in file order.</summary>
    public LabeledImages Train { get; }

    /// <summary>The pictures held out by <c>validationSplit</c>, or those of a val/ folder; null when there are none.</summary>
    public LabeledImages? Validation { get; }

    /// <summary>The pictures of a test/ folder; null when there is none.</summary>
    public LabeledImages? Test { get; }

    /// <summary>Each training picture's path relative to the folder, '/'-separated, in the order of <see cref="Train"/>.</summary>
    public IReadOnlyList<string> TrainFiles { get; }

    /// <summary>Each validation picture's relative path, in the order of <see cref="Validation"/>; empty when there are none.</summary>
    public IReadOnlyList<string> ValidationFiles { get; }

    /// <summary>Each test picture's relative path, in the order of <see cref="Test"/>; empty when there is no test/ folder.</summary>
    public IReadOnlyList<string> TestFiles { get; }

    /// <summary>What was found, skipped and cached.</summary>
    public ImageDatasetReport Report { get; }

    /// <summary>
    /// Loads the pictures under <paramref name="directory"/>: one sub-folder per class (<c>DIR/cats/*.jpg</c>,
    /// <c>DIR/dogs/*.png</c>), or <c>train/</c> and <c>test/</c> folders (and <c>val/</c> or <c>validation/</c>)
    /// each holding the class folders, which fill <see cref="Train"/>, <see cref="Test"/> and <see cref="Validation"/>.
    /// PNG, JPEG, BMP, GIF and WebP files are read (by extension, any case); hidden files are ignored; nothing in the
    /// folder is written. A folder whose only sub-folders are named train, test, val or validation is read as the
    /// second layout, never as classes of those names.
    /// </summary>
    /// <param name="directory">The dataset's folder; it is only read.</param>
    /// <param name="imageSize">Every picture is centre-cropped to this aspect ratio and resized to it, exactly as
    /// <c>fovea predict</c> does (<see cref="ImageLoader.Load(string, int, int, ColorMode)"/>). Default <see cref="DefaultImageSize"/>.</param>
    /// <param name="colorMode">Channels the pictures become, whatever they hold (grey, paletted, RGBA).</param>
    /// <param name="validationSplit">Share of each class's training pictures held out as <see cref="Validation"/>
    /// (stratified), chosen by <paramref name="seed"/>: the same pictures on every run with the same seed and files.</param>
    /// <param name="seed">Chooses the validation pictures; the same seed and files give the same split on every run.</param>
    /// <param name="strict">Throw on the first picture that cannot be read instead of skipping it.</param>
    /// <param name="progress">Decoding progress, reported from worker threads (only when the cache is built).</param>
    /// <param name="cacheDirectory">Where the decoded-pixel cache lives; default <c>~/.fovea/cache</c>.
    /// Must be outside <paramref name="directory"/>.</param>
    /// <exception cref="InvalidDataFileException">The folder is missing, has fewer than two class folders, a class
    /// with no readable pictures, or (with <paramref name="strict"/>) a picture that cannot be read; the message says
    /// what was found.</exception>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    /// <exception cref="FoveaException">The cache cannot be written.</exception>
    public static ImageDataset FromDirectory(string directory, (int Height, int Width)? imageSize = null, ColorMode colorMode = ColorMode.Rgb,
        double validationSplit = 0, long seed = 0, bool strict = false, IProgress<ImageLoadProgress>? progress = null, string? cacheDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (height, width) = imageSize ?? DefaultImageSize;
        if (height <= 0 || width <= 0 || (long)height * width > ImageLoader.MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(imageSize), $"imageSize must be positive and at most {ImageLoader.MaxPixels / 1_000_000} megapixels; got ({height}, {width})");
        if (colorMode is not (ColorMode.Rgb or ColorMode.Grayscale))
            throw new ArgumentOutOfRangeException(nameof(colorMode), $"colorMode must be Rgb or Grayscale; got {colorMode}");
        if (!(validationSplit >= 0 && validationSplit < 1))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), $"validationSplit must be in [0, 1); got {validationSplit}");
        int channels = colorMode.Channels();

        ImageFolderScan scan = ImageFolderScan.Scan(directory);
        if (scan.HasValidationFolder && validationSplit > 0)
            throw new ArgumentException($"validationSplit must be 0 when {directory} has its own val/ folder; got {validationSplit}", nameof(validationSplit));
        string cachePath = PrepareCache(cacheDirectory, scan.Root, height, width, colorMode);

        // Decode only when no cache fits; a cache that does not verify is never trusted, only replaced.
        byte[] key = ImageCache.ContentKey(scan.Files, height, width, colorMode);
        CachedImages? cached = ImageCache.TryOpen(cachePath, key, height, width, channels, scan.Files.Length, out string? problem);
        CacheUse use = CacheUse.Reused;
        int decoded = 0;
        if (cached is null)
        {
            use = problem is null ? CacheUse.Created : CacheUse.Rebuilt;
            ImageCacheWriter.Write(cachePath, key, scan.Files, height, width, colorMode, strict, progress);
            decoded = scan.Files.Length;
            cached = ImageCache.TryOpen(cachePath, key, height, width, channels, scan.Files.Length, out string? fresh)
                ?? throw new FoveaException($"{cachePath}: the image cache just written does not verify ({fresh}); is another program writing there?");
        }
        if (strict && cached.Skipped.Length > 0)
        {
            var first = cached.Skipped[0];
            throw new InvalidDataFileException($"{scan.Files[first.Index].FullPath}: {first.Reason}");
        }

        int[] stored = StoredIndices(scan, cached.Skipped, directory);
        var splits = Assign(scan, stored, validationSplit, seed);
        LabeledImages? Part(List<int> files) => files.Count == 0 ? null : new LabeledImages(View(cached.Images, files, stored), files.Select(i => scan.Files[i].Label).ToArray());
        IReadOnlyList<string> Names(List<int> files) => files.Select(i => scan.Files[i].RelativePath).ToArray();

        var skipped = cached.Skipped.Take(ImageDatasetReport.SkippedListed).Select(s => new SkippedImage(scan.Files[s.Index].RelativePath, s.Reason)).ToArray();
        var report = new ImageDatasetReport(scan.Files.Length, scan.ClassNames.Count, scan.IgnoredFiles, cached.Skipped.Length, skipped,
            use, problem, cachePath, decoded, splits.Train.Count, splits.Validation.Count, splits.Test.Count);
        return new ImageDataset(scan.ClassNames, (height, width), colorMode,
            Part(splits.Train)!, Names(splits.Train), Part(splits.Validation), Names(splits.Validation), Part(splits.Test), Names(splits.Test), report);
    }

    /// <summary>The cache file's path, its folder created; refused inside the dataset folder, which is never written.</summary>
    private static string PrepareCache(string? cacheDirectory, string root, int height, int width, ColorMode colorMode)
    {
        string folder = Path.GetFullPath(cacheDirectory ?? ImageCache.DefaultDirectory);
        string relative = Path.GetRelativePath(root, folder);
        bool outside = relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative);
        if (!outside)
            throw new ArgumentException($"cacheDirectory must be outside the dataset folder {root}, which is never written; got {cacheDirectory ?? folder}", nameof(cacheDirectory));
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"{folder}: cannot create the image cache folder ({e.Message}); pass cacheDirectory to put it elsewhere", e);
        }
        return ImageCache.PathFor(folder, root, height, width, colorMode);
    }

    /// <summary>
    /// Where each scanned file's pixels sit in the cache (-1 when it was skipped), after checking that every class of
    /// every split still has a picture: a class whose files all failed to decode cannot be learnt.
    /// </summary>
    private static int[] StoredIndices(ImageFolderScan scan, SkippedEntry[] skipped, string directory)
    {
        var stored = new int[scan.Files.Length];
        var loadedPerClass = new Dictionary<(DatasetSplit, int), int>();
        for (int i = 0, next = 0, s = 0; i < stored.Length; i++)
        {
            bool skip = s < skipped.Length && skipped[s].Index == i;
            stored[i] = skip ? -1 : next++;
            if (skip) s++;
            var group = (scan.Files[i].Split, scan.Files[i].Label);
            loadedPerClass[group] = loadedPerClass.GetValueOrDefault(group) + (skip ? 0 : 1);
        }
        if (skipped.Length == stored.Length)
            throw new InvalidDataFileException(
                $"{directory}: none of the {stored.Length:N0} pictures could be read; the first, {scan.Files[0].RelativePath}: {skipped[0].Reason}");
        foreach (var ((split, label), loaded) in loadedPerClass)
        {
            if (loaded > 0) continue;
            var first = skipped.First(s => scan.Files[s.Index].Split == split && scan.Files[s.Index].Label == label);
            int files = scan.Files.Count(f => f.Split == split && f.Label == label);
            throw new InvalidDataFileException(
                $"{directory}: class '{scan.ClassNames[label]}'{(scan.IsSplitLayout ? $" in {split.ToString().ToLowerInvariant()}/" : "")} has no readable pictures: all {files} were skipped (first: {scan.Files[first.Index].RelativePath}: {first.Reason})");
        }
        return stored;
    }

    /// <summary>The scanned files (indices into scan.Files) that go to each part; skipped files go nowhere.</summary>
    private static (List<int> Train, List<int> Validation, List<int> Test) Assign(ImageFolderScan scan, int[] stored, double validationSplit, long seed)
    {
        var train = new List<int>();
        var validation = new List<int>();
        var test = new List<int>();
        for (int i = 0; i < scan.Files.Length; i++)
        {
            if (stored[i] < 0) continue;
            (scan.Files[i].Split switch { DatasetSplit.Train => train, DatasetSplit.Validation => validation, _ => test }).Add(i);
        }
        if (validationSplit == 0) return (train, validation, test);

        var heldOut = new HashSet<int>();
        foreach (var group in train.GroupBy(i => scan.Files[i].Label))
        {
            int[] members = group.ToArray();
            int count = ValidationCount(members.Length, validationSplit);
            // Its own stream per class: adding pictures to one class leaves the others' choice unchanged.
            Rng.For(seed, "image-dataset-validation-split", group.Key).Shuffle(members);
            heldOut.UnionWith(members.Take(count));
        }
        return (train.Where(i => !heldOut.Contains(i)).ToList(), train.Where(heldOut.Contains).ToList(), test);
    }

    /// <summary>
    /// The share of a class held out, rounded; at least one picture when the class has two (so every class is
    /// validated) and never all of them (so every class is trained).
    /// </summary>
    internal static int ValidationCount(int pictures, double validationSplit)
    {
        if (pictures < 2) return 0;
        int count = (int)Math.Round(pictures * validationSplit, MidpointRounding.AwayFromZero);
        return Math.Clamp(count, 1, pictures - 1);
    }

    /// <summary>The cached images of <paramref name="files"/>, as a view (the whole set when they are all of it, in order).</summary>
    private static ImageSet View(ImageSet all, List<int> files, int[] stored)
    {
        int[] indices = files.Select(i => stored[i]).ToArray();
        bool whole = indices.Length == all.Count && indices.AsSpan().SequenceEqual(Enumerable.Range(0, all.Count).ToArray());
        return whole ? all : all.Subset(indices);
    }
}
