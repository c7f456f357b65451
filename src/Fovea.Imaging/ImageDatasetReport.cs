using System.Globalization;

namespace Fovea.Imaging;

/// <summary>
/// What <see cref="ImageDataset.FromDirectory"/> found and did: how many pictures, which were skipped and why, and
/// whether the decoded-pixel cache was reused. <see cref="ToString"/> reads like Keras's
/// "Found 3670 files belonging to 5 classes."
/// </summary>
public sealed class ImageDatasetReport
{
    /// <summary>How many skipped files <see cref="FirstSkipped"/> lists.</summary>
    public const int SkippedListed = 10;

    internal ImageDatasetReport(int filesFound, int classes, int ignoredFiles, int skippedCount, IReadOnlyList<SkippedImage> firstSkipped,
        CacheUse cache, string? cacheRebuildReason, string cachePath, int decoded, int train, int validation, int test)
    {
        FilesFound = filesFound;
        Classes = classes;
        IgnoredFiles = ignoredFiles;
        SkippedCount = skippedCount;
        FirstSkipped = firstSkipped;
        Cache = cache;
        CacheRebuildReason = cacheRebuildReason;
        CachePath = cachePath;
        Decoded = decoded;
        (TrainCount, ValidationCount, TestCount) = (train, validation, test);
    }

    /// <summary>Files with a picture extension in the class folders.</summary>
    public int FilesFound { get; }

    /// <summary>Class folders found: the number of classes a model trained on the set predicts.</summary>
    public int Classes { get; }

    /// <summary>Files that are not pictures by their extension (README.txt), or lie outside the class folders. Hidden files are not counted.</summary>
    public int IgnoredFiles { get; }

    /// <summary>Pictures left out: not an image after all, corrupt, truncated, too large or unreadable.</summary>
    public int SkippedCount { get; }

    /// <summary>The first <see cref="SkippedListed"/> skipped pictures, in file order, with the reason for each.</summary>
    public IReadOnlyList<SkippedImage> FirstSkipped { get; }

    /// <summary>Whether the decoded-pixel cache was reused, built for the first time, or rebuilt.</summary>
    public CacheUse Cache { get; }

    /// <summary>Why an existing cache was not used, when <see cref="Cache"/> is <see cref="CacheUse.Rebuilt"/>.</summary>
    public string? CacheRebuildReason { get; }

    /// <summary>The cache file the pixels are read from (under <c>~/.fovea/cache</c> unless another folder was given).</summary>
    public string CachePath { get; }

    /// <summary>Pictures decoded by this call: 0 when the cache was reused.</summary>
    public int Decoded { get; }

    /// <summary>Readable pictures used for training.</summary>
    public int TrainCount { get; }

    /// <summary>Readable pictures held out for validation (by the split or a val/ folder).</summary>
    public int ValidationCount { get; }

    /// <summary>Readable pictures in a test/ folder.</summary>
    public int TestCount { get; }

    /// <summary>A few lines: what was found, what was skipped (the first few by name), what is used for what.</summary>
    public override string ToString()
    {
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"Found {FilesFound:N0} files belonging to {Classes} classes.") };
        if (SkippedCount > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"Skipped {SkippedCount:N0} that could not be read:"));
            lines.AddRange(FirstSkipped.Select(s => $"  {s.File}: {s.Reason}"));
            if (SkippedCount > FirstSkipped.Count) lines.Add(string.Create(CultureInfo.InvariantCulture, $"  … and {SkippedCount - FirstSkipped.Count:N0} more"));
        }
        string use = string.Create(CultureInfo.InvariantCulture, $"Using {TrainCount:N0} files for training");
        if (ValidationCount > 0) use += string.Create(CultureInfo.InvariantCulture, $", {ValidationCount:N0} for validation");
        if (TestCount > 0) use += string.Create(CultureInfo.InvariantCulture, $", {TestCount:N0} for testing");
        lines.Add(use + ".");
        return string.Join(Environment.NewLine, lines);
    }
}
