namespace Fovea.Data;

/// <summary>
/// Finds, downloads, checks and loads an MNIST-style dataset (<see cref="IdxDatasetSpec"/>). A folder holds the four
/// files gzipped under their published names or unpacked without the <c>.gz</c>; where both are there, the
/// <c>.gz</c> is read, since only it can be checked. Each <c>.gz</c> must match its published MD5, or, for a
/// recompressed copy, the published content; unpacked files are the user's own and load as they are.
/// </summary>
internal static class IdxDatasetLoader
{
    /// <summary>Where <see cref="Load(IdxDatasetSpec, string?)"/> looks when given no path: the cache, then the system folders.</summary>
    public static IEnumerable<string> SearchFolders(IdxDatasetSpec spec, string cacheRoot) =>
        [Path.Combine(cacheRoot, spec.FolderName), .. spec.SystemFolders];

    /// <summary>Loads from <paramref name="path"/>, or when it is null from a local copy, downloading one into the cache if there is none.</summary>
    public static LabeledDataset Load(IdxDatasetSpec spec, string? path)
    {
        path ??= EnsureAsync(spec, FoveaHome.Datasets, spec.DefaultSource, progress: null, CancellationToken.None).GetAwaiter().GetResult();
        return LoadFolder(spec, path);
    }

    /// <summary>Reads the four files in <paramref name="folder"/>.</summary>
    public static LabeledDataset LoadFolder(IdxDatasetSpec spec, string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (File.Exists(folder))
            throw new InvalidDataFileException($"{folder} is a file; pass the folder holding {spec.Title}'s {spec.FileList}");
        if (!Directory.Exists(folder))
            throw new InvalidDataFileException($"{spec.Title} data not found: {folder} does not exist (pass a folder holding {spec.FileList})");
        string[] missing = spec.Files.Where(f => Find(folder, f) is null).Select(f => $"{f.PlainName}(.gz)").ToArray();
        if (missing.Length > 0)
            throw new InvalidDataFileException($"{spec.Title} folder {folder} lacks {string.Join(", ", missing)}");

        var train = ReadSet(spec, folder, spec.TrainImages, spec.TrainLabels);
        var test = ReadSet(spec, folder, spec.TestImages, spec.TestLabels);
        return new LabeledDataset(train, test, spec.ClassNames);
    }

    /// <summary>
    /// Returns a folder holding all four files: one of <see cref="SearchFolders"/> if any is complete, else
    /// <c>cacheRoot/NAME</c> after downloading what it lacks from <paramref name="source"/> (each file verified against
    /// its published MD5 before it gets its final name).
    /// </summary>
    public static async Task<string> EnsureAsync(IdxDatasetSpec spec, string cacheRoot, Uri source,
                                                 IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheRoot);
        ArgumentNullException.ThrowIfNull(source);
        if (!source.AbsoluteUri.EndsWith('/'))
            throw new ArgumentException($"source must be a folder URL ending in '/'; got {source}", nameof(source));

        foreach (string folder in SearchFolders(spec, cacheRoot))
            if (spec.Files.All(f => Find(folder, f) is not null)) return folder;

        string cache = Path.Combine(cacheRoot, spec.FolderName);
        string hint = $"download {spec.FileList} yourself and pass --data FOLDER";
        long done = 0, total = spec.PublishedSize;
        foreach (var file in spec.Files)
        {
            if (Find(cache, file) is null)
                await FileDownload.DownloadVerifiedAsync(Path.Combine(cache, file.GzName), new Uri(source, file.GzName), file.PublishedMd5,
                    spec.Title, hint, progress, ct, progressOffset: done, progressTotal: total).ConfigureAwait(false);
            done += file.PublishedSize;
        }
        return cache;
    }

    /// <summary>The file's path in <paramref name="folder"/>, gzipped first; null if neither form is there.</summary>
    private static string? Find(string folder, IdxFileSpec file)
    {
        string gz = Path.Combine(folder, file.GzName), plain = Path.Combine(folder, file.PlainName);
        return File.Exists(gz) ? gz : File.Exists(plain) ? plain : null;
    }

    private static LabeledImages ReadSet(IdxDatasetSpec spec, string folder, IdxFileSpec imagesSpec, IdxFileSpec labelsSpec)
    {
        using var images = IdxFile.Open(Find(folder, imagesSpec)!, 3, "images, rows, columns");
        int count = images.Dimensions[0], rows = images.Dimensions[1], columns = images.Dimensions[2];
        if (rows != spec.Height || columns != spec.Width)
            throw new InvalidDataFileException($"{images.Path}: images are {rows}x{columns}; {spec.Title} images are {spec.Height}x{spec.Width}");
        using var labels = IdxFile.Open(Find(folder, labelsSpec)!, 1, "labels");
        if (labels.Dimensions[0] != count)
            throw new InvalidDataFileException($"{labels.Path} holds {labels.Dimensions[0]} labels but {images.Path} holds {count} images; they must be as many");

        byte[] pixels = GC.AllocateUninitializedArray<byte>(checked((int)images.DataLength));
        images.ReadData(pixels, "image");
        CheckPublished(spec, images, imagesSpec);

        byte[] labelBytes = new byte[count];
        labels.ReadData(labelBytes, "label");
        CheckPublished(spec, labels, labelsSpec);
        int[] y = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (labelBytes[i] >= spec.ClassNames.Count)
                throw new InvalidDataFileException(
                    $"{labels.Path}: label {i} at byte offset {labels.HeaderLength + i} is {labelBytes[i]}; {spec.Title} labels are 0-{spec.ClassNames.Count - 1}");
            y[i] = labelBytes[i];
        }
        return new LabeledImages(new ImageSet(pixels, count, rows, columns, 1), y);
    }

    // Only a gzipped file can be the published one; an unpacked file has no published checksum.
    private static void CheckPublished(IdxDatasetSpec spec, IdxFile file, IdxFileSpec published)
    {
        if (!file.Compressed) return;
        string md5 = file.CompressedMd5!;
        if (md5 == published.PublishedMd5) return;
        if (published.InflatedMd5 is { } inflated && file.InflatedMd5 == inflated) return; // recompressed, same content
        string content = published.InflatedMd5 is null ? "" : ", nor does its inflated content match the published content";
        throw new InvalidDataFileException(
            $"{file.Path}: MD5 {md5} does not match the published {spec.Title} {published.GzName} ({published.PublishedMd5}){content}; " +
            "the file is damaged or not the published one (unpacked IDX files are not checked and load as they are)");
    }
}
