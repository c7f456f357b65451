using System.IO.Enumeration;

namespace Fovea.Imaging;

/// <summary>Which part of a dataset a picture belongs to.</summary>
internal enum DatasetSplit : byte { Train, Validation, Test }

/// <summary>One picture file found by <see cref="ImageFolderScan"/>: where it is, its class, and what keys the cache.</summary>
/// <param name="RelativePath">Relative to the dataset folder, '/'-separated: the same on every machine.</param>
/// <param name="FullPath">The path the file is opened by.</param>
/// <param name="Label">The index of its class folder in ordinal order.</param>
/// <param name="Split">Training, validation or test, by the folder it lies in or the validation split.</param>
/// <param name="Length">Its size in bytes, part of the cache key.</param>
/// <param name="ModifiedTicks">Its last write time in UTC ticks, part of the cache key.</param>
internal readonly record struct ImageFile(string RelativePath, string FullPath, int Label, DatasetSplit Split, long Length, long ModifiedTicks);

/// <summary>
/// Lists a dataset folder without opening a picture: its layout, class names (folder names, ordinal order) and the
/// picture files in a fixed order (split, class, then path). Two layouts are understood:
/// <c>DIR/CLASS/…</c>, and <c>DIR/train/CLASS/…</c> with <c>test/</c> and <c>val/</c> (or <c>validation/</c>) beside it.
/// </summary>
/// <remarks>
/// Entries whose names start with '.' are ignored (.DS_Store, .git), as are files without a picture extension and
/// files lying directly in DIR. Class folders are searched recursively; symbolic links to folders are followed for
/// a class folder itself but not inside it, so a link loop cannot make the walk endless.
/// </remarks>
internal sealed class ImageFolderScan
{
    /// <summary>Picture extensions, compared case-insensitively.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    private static readonly string ExtensionList = string.Join(", ", Extensions.Select(e => e[1..]));

    private static readonly EnumerationOptions OneLevel = new()
    {
        // Hidden entries are judged by name below, the same on every platform; nothing is skipped silently.
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    private ImageFolderScan(string root, bool isSplitLayout, bool hasValidationFolder, bool hasTestFolder,
        IReadOnlyList<string> classNames, ImageFile[] files, int ignoredFiles)
    {
        Root = root;
        IsSplitLayout = isSplitLayout;
        HasValidationFolder = hasValidationFolder;
        HasTestFolder = hasTestFolder;
        ClassNames = classNames;
        Files = files;
        IgnoredFiles = ignoredFiles;
    }

    /// <summary>The dataset folder, full path.</summary>
    public string Root { get; }

    /// <summary>True for the train/ + test/ (+ val/) layout.</summary>
    public bool IsSplitLayout { get; }

    public bool HasValidationFolder { get; }
    public bool HasTestFolder { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Picture files by split (train, validation, test), then class, then relative path (ordinal).</summary>
    public ImageFile[] Files { get; }

    /// <summary>Files that are not pictures by their extension, or lie outside any class folder.</summary>
    public int IgnoredFiles { get; }

    /// <exception cref="InvalidDataFileException">The folder is missing, unreadable, or does not hold at least two
    /// class folders each with at least one picture; the message says what it found.</exception>
    public static ImageFolderScan Scan(string directory)
    {
        string root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
            throw new InvalidDataFileException(File.Exists(root)
                ? $"{directory}: is a file; expected a folder holding one sub-folder of pictures per class"
                : $"{directory}: no such folder");

        var (folders, looseFiles) = List(root);
        var byName = folders.ToDictionary(f => f.Name.ToLowerInvariant(), f => f, StringComparer.Ordinal);
        bool isSplit = byName.ContainsKey("train") && byName.Keys.All(n => n is "train" or "test" or "val" or "validation");
        if (!isSplit)
        {
            var (classNames, files, ignored) = ScanClasses(root, "", folders, DatasetSplit.Train, knownClasses: null);
            return new ImageFolderScan(root, false, false, false, classNames, files.ToArray(), ignored + looseFiles);
        }

        if (byName.ContainsKey("val") && byName.ContainsKey("validation"))
            throw new InvalidDataFileException($"{directory}: has both val/ and validation/ folders; keep one");
        var all = new List<ImageFile>();
        int ignoredFiles = looseFiles;
        IReadOnlyList<string>? trainClasses = null;
        foreach (var (name, split) in new[] { ("train", DatasetSplit.Train), ("val", DatasetSplit.Validation), ("validation", DatasetSplit.Validation), ("test", DatasetSplit.Test) })
        {
            if (!byName.TryGetValue(name, out DirectoryInfo? folder)) continue;
            var (classFolders, loose) = List(folder.FullName);
            var (classNames, files, ignored) = ScanClasses(folder.FullName, folder.Name + "/", classFolders, split, trainClasses);
            trainClasses ??= classNames;
            all.AddRange(files);
            ignoredFiles += ignored + loose;
        }
        return new ImageFolderScan(root, true, byName.ContainsKey("val") || byName.ContainsKey("validation"), byName.ContainsKey("test"),
            trainClasses!, all.ToArray(), ignoredFiles);
    }

    /// <summary>
    /// The class folders under <paramref name="folder"/> and their pictures. For the training folder (no
    /// <paramref name="knownClasses"/>) these define the classes; a validation or test folder must use only those.
    /// </summary>
    private static (IReadOnlyList<string> ClassNames, List<ImageFile> Files, int Ignored) ScanClasses(
        string folder, string prefix, List<DirectoryInfo> classFolders, DatasetSplit split, IReadOnlyList<string>? knownClasses)
    {
        string shown = prefix.Length == 0 ? folder : prefix.TrimEnd('/');
        var names = classFolders.Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
        if (knownClasses is null)
        {
            if (names.Count == 0)
                throw new InvalidDataFileException(
                    $"{folder}: no class folders found; expected one sub-folder of pictures per class (e.g. cats/, dogs/), or train/ and test/ folders holding them; found {CountFiles(folder)} files and no folders");
            if (names.Count == 1)
                throw new InvalidDataFileException($"{folder}: found only one class folder ('{names[0]}'); a classifier needs at least two");
        }
        else
        {
            if (names.Count == 0)
                throw new InvalidDataFileException($"{folder}: no class folders found; expected the same class folders as train/ ({string.Join(", ", knownClasses)})");
            var unknown = names.Where(n => !knownClasses.Contains(n, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
                throw new InvalidDataFileException(
                    $"{folder}: class folder{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(n => $"'{n}'"))} not among train/'s classes ({string.Join(", ", knownClasses)})");
        }

        var files = new List<ImageFile>();
        var empty = new List<string>();
        int ignored = 0;
        foreach (string name in names)
        {
            int label = knownClasses is null ? names.IndexOf(name) : IndexOf(knownClasses, name);
            string classFolder = Path.Combine(folder, name);
            int before = files.Count;
            var found = new List<ImageFile>();
            ignored += Walk(classFolder, prefix + name + "/", label, split, found);
            found.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
            files.AddRange(found);
            if (files.Count == before) empty.Add(name);
        }
        if (empty.Count > 0)
            throw new InvalidDataFileException(
                $"{shown}: class folder{(empty.Count > 1 ? "s" : "")} {string.Join(", ", empty.Select(n => $"'{n}'"))} hold{(empty.Count > 1 ? "" : "s")} no pictures ({ExtensionList}); every class needs at least one");
        // Validation and test files are labelled by train/'s class order; sort them the same way.
        if (knownClasses is not null) files.Sort((a, b) => a.Label != b.Label ? a.Label.CompareTo(b.Label) : string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return (knownClasses ?? names, files, ignored);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>One entry of a class folder, read from the listing itself (no separate stat per file).</summary>
    private readonly record struct Entry(string Name, string FullPath, bool IsFolder, bool IsLink, long Length, long ModifiedTicks);

    /// <summary>Adds the pictures below <paramref name="folder"/> to <paramref name="found"/>; returns how many other files it saw.</summary>
    private static int Walk(string folder, string prefix, int label, DatasetSplit split, List<ImageFile> found)
    {
        List<Entry> entries;
        try
        {
            // Sizes and times come with the listing: a FileInfo per file took twice as long on 60,000 pictures.
            entries = new FileSystemEnumerable<Entry>(folder,
                (ref FileSystemEntry e) => new Entry(e.FileName.ToString(), e.ToFullPath(), e.IsDirectory, (e.Attributes & FileAttributes.ReparsePoint) != 0,
                    e.IsDirectory ? 0 : e.Length, e.IsDirectory ? 0 : e.LastWriteTimeUtc.UtcTicks), OneLevel)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.FileName.StartsWith('.'),
            }.ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataFileException($"{folder}: cannot be listed ({e.Message})", e);
        }

        int ignored = 0;
        foreach (Entry entry in entries)
        {
            if (entry.IsFolder)
            {
                if (!entry.IsLink) ignored += Walk(entry.FullPath, prefix + entry.Name + "/", label, split, found);
            }
            else if (!Extensions.Contains(Path.GetExtension(entry.Name), StringComparer.OrdinalIgnoreCase))
            {
                ignored++;
            }
            else
            {
                // A link's own size and time would not change with its target: those of the target key the cache.
                var (length, modified) = entry.IsLink ? Stat(entry.FullPath) : (entry.Length, entry.ModifiedTicks);
                found.Add(new ImageFile(prefix + entry.Name, entry.FullPath, label, split, length, modified));
            }
        }
        return ignored;
    }

    /// <summary>
    /// A file's size and modification time, following links; a broken link or a file gone since the listing gives -1,
    /// and the decoder then skips it with its reason.
    /// </summary>
    private static (long Length, long ModifiedTicks) Stat(string path)
    {
        try
        {
            // FileInfo describes the link itself; its final target is what the decoder reads.
            var link = new FileInfo(path);
            var file = link.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? link;
            return (file.Length, file.LastWriteTimeUtc.Ticks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (-1, -1);
        }
    }

    /// <summary>The non-hidden folders directly in <paramref name="folder"/>, and how many non-hidden files lie beside them.</summary>
    private static (List<DirectoryInfo> Folders, int Files) List(string folder)
    {
        var folders = new List<DirectoryInfo>();
        int files = 0;
        foreach (FileSystemInfo entry in Entries(folder))
        {
            if (entry is DirectoryInfo sub) folders.Add(sub);
            else files++;
        }
        return (folders, files);
    }

    private static int CountFiles(string folder) => List(folder).Files;

    /// <summary>The entries of one folder whose names do not start with '.', in no particular order.</summary>
    private static List<FileSystemInfo> Entries(string folder)
    {
        try
        {
            return new DirectoryInfo(folder).EnumerateFileSystemInfos("*", OneLevel).Where(e => !e.Name.StartsWith('.')).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataFileException($"{folder}: cannot be listed ({e.Message})", e);
        }
    }
}
