using System.IO.Compression;
using System.Security.Cryptography;
using Fovea.Data;
using Fovea.Imaging;
using Spectre.Console;

namespace Fovea.Cli;

/// <summary>
/// Turns the data options into a dataset. <c>--data PATH</c> is judged by its content: a file is CIFAR-10's archive; a
/// folder holding IDX files is Fashion-MNIST or MNIST (told apart by the published checksums, else by the folder's
/// name); one holding CIFAR-10's batches is CIFAR-10; any other folder is pictures in class folders. Without a path,
/// <c>--dataset</c> (default CIFAR-10) is found in the usual places or downloaded, with a progress bar.
/// </summary>
internal static class DataResolver
{
    /// <summary>The share held out when training on a folder that has neither a test/ nor a val/ folder.</summary>
    public const double DefaultValidationSplit = 0.2;

    /// <summary>Loads what <paramref name="request"/> names.</summary>
    /// <param name="trainLimit">Keep only N training images: CIFAR-10's and the IDX sets' first N, a folder's N chosen by <paramref name="seed"/> (its files are in class order).</param>
    /// <param name="seed">Chooses a folder's validation split (and limited subset): the same pictures for the same seed and files.</param>
    /// <param name="defaultValidationSplit">The split used for a folder without test/ or val/ folders when the request names none.</param>
    /// <param name="defaultImage">A folder's picture size and colour when the request names none (evaluate takes the model's); else 32x32 RGB.</param>
    /// <param name="forEvaluation">Only the test set is used: CIFAR-10's training batches are not read. A folder is still read whole.</param>
    public static LoadedData Load(DataRequest request, int? trainLimit, long seed, CancellationToken ct,
                                  double defaultValidationSplit = 0, (int Height, int Width, ColorMode Color)? defaultImage = null, bool forEvaluation = false)
    {
        if (forEvaluation) trainLimit = null;
        if (request.Path is null)
        {
            var dataset = request.Dataset ?? BuiltInDataset.Cifar10;
            return LoadBuiltIn(dataset, Locate(dataset, ct), request with { Dataset = dataset }, trainLimit, forEvaluation);
        }
        string path = request.Path;
        if (request.Dataset is { } named) return LoadBuiltIn(named, path, request, trainLimit, forEvaluation);
        if (File.Exists(path)) return LoadBuiltIn(BuiltInDataset.Cifar10, path, request, trainLimit, forEvaluation);
        if (!Directory.Exists(path))
            throw new InvalidDataFileException($"{path} does not exist; --data takes a folder of pictures in class folders, an IDX folder, or CIFAR-10's {Cifar10.ArchiveFileName}");
        if (HasIdxFiles(path)) return LoadBuiltIn(IdxDatasetOf(path), path, request, trainLimit, forEvaluation);
        if (HasCifar10(path)) return LoadBuiltIn(BuiltInDataset.Cifar10, path, request, trainLimit, forEvaluation);
        return LoadFolder(path, request, trainLimit, seed, defaultValidationSplit, defaultImage);
    }

    private static LoadedData LoadBuiltIn(BuiltInDataset dataset, string path, DataRequest request, int? trainLimit, bool forEvaluation)
    {
        if (request.FolderOnlyOption is { } option)
            throw new FoveaUsageException($"{option} applies to a folder of pictures; {path} holds {dataset.Title()}, whose images are {(dataset == BuiltInDataset.Cifar10 ? "32x32 RGB" : "28x28 grayscale")}");
        LabeledDataset data = dataset switch
        {
            BuiltInDataset.Cifar10 => Cifar10.Load(path, forEvaluation ? 0 : trainLimit),
            BuiltInDataset.FashionMnist => IdxDatasetLoader.LoadFolder(IdxDatasetSpec.FashionMnist, path),
            _ => IdxDatasetLoader.LoadFolder(IdxDatasetSpec.Mnist, path),
        };
        var train = trainLimit is { } limit && dataset != BuiltInDataset.Cifar10 ? data.Train.Take(limit) : data.Train;
        return new LoadedData(dataset.Title(), path, train, null, data.Test, data.ClassNames, request with { Dataset = dataset });
    }

    private static LoadedData LoadFolder(string path, DataRequest request, int? trainLimit, long seed,
                                         double defaultValidationSplit, (int Height, int Width, ColorMode Color)? defaultImage)
    {
        int height = request.ImageHeight ?? defaultImage?.Height ?? ImageDataset.DefaultImageSize.Height;
        int width = request.ImageWidth ?? defaultImage?.Width ?? ImageDataset.DefaultImageSize.Width;
        ColorMode color = request.Color ?? defaultImage?.Color ?? ColorMode.Rgb;
        double split = request.ValidationSplit ?? 0;
        var data = Decode(path, (height, width), color, split, seed, request.Strict);
        if (request.ValidationSplit is null && defaultValidationSplit > 0 && data.Validation is null && data.Test is null)
        {
            // Nothing to validate or test on: hold out a share. The pictures are decoded already; this reads the cache.
            split = defaultValidationSplit;
            data = Decode(path, (height, width), color, split, seed, request.Strict);
        }

        LabeledImages train = data.Train;
        if (trainLimit is { } limit && limit < train.Count)
        {
            int[] chosen = Enumerable.Range(0, train.Count).ToArray();
            Rng.For(seed, "train-limit").Shuffle(chosen);
            chosen = chosen[..limit];
            Array.Sort(chosen);
            train = new LabeledImages(train.Images.Subset(chosen), chosen.Select(i => train.Labels[i]).ToArray());
        }
        var resolved = request with { ImageHeight = height, ImageWidth = width, Color = color, ValidationSplit = split };
        return new LoadedData(Path.GetFileName(Path.TrimEndingDirectorySeparator(path)), path, train, data.Validation, data.Test, data.ClassNames, resolved, data.Report);
    }

    /// <summary><see cref="ImageDataset.FromDirectory"/>, with a progress bar while pictures are decoded into the cache.</summary>
    private static ImageDataset Decode(string path, (int, int) size, ColorMode color, double split, long seed, bool strict)
    {
        if (Console.IsErrorRedirected || Console.IsOutputRedirected)
            return FoveaCli.FromUserInput(() => ImageDataset.FromDirectory(path, size, color, split, seed, strict));
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                // Only a first load decodes; a cached folder reports nothing and shows no bar.
                ProgressTask? task = null;
                var progress = new SyncProgress<ImageLoadProgress>(p =>
                {
                    task ??= ctx.AddTask($"decoding {p.Total:N0} pictures", autoStart: true, maxValue: p.Total);
                    task.Value = p.Decoded;
                });
                return FoveaCli.FromUserInput(() => ImageDataset.FromDirectory(path, size, color, split, seed, strict, progress));
            });
    }

    /// <summary>The folder or archive of a built-in dataset: a local copy, else a download into the cache.</summary>
    private static string Locate(BuiltInDataset dataset, CancellationToken ct)
    {
        Func<IProgress<DownloadProgress>?, Task<string>> ensure = dataset switch
        {
            BuiltInDataset.Cifar10 => progress => Cifar10Download.EnsureAsync(progress: progress, ct: ct),
            BuiltInDataset.FashionMnist => progress => FashionMnist.EnsureAsync(progress, ct),
            _ => progress => Mnist.EnsureAsync(progress, ct),
        };
        if (Console.IsErrorRedirected || Console.IsOutputRedirected)
        {
            Console.Error.WriteLine($"looking for {dataset.Title()} in {FoveaHome.Datasets} (downloading it on first use)");
            return ensure(null).GetAwaiter().GetResult();
        }
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                // Created on the first report: a local copy downloads nothing and shows no bar.
                ProgressTask? task = null;
                var progress = new SyncProgress<DownloadProgress>(p =>
                {
                    task ??= ctx.AddTask(dataset.Title(), autoStart: true, maxValue: p.TotalBytes ?? 1);
                    if (p.TotalBytes is { } total) task.MaxValue = total;
                    task.Value = p.BytesReceived;
                });
                return ensure(progress).GetAwaiter().GetResult();
            });
    }

    private static bool HasIdxFiles(string folder) =>
        IdxDatasetSpec.FashionMnist.Files.Any(f => File.Exists(Path.Combine(folder, f.GzName)) || File.Exists(Path.Combine(folder, f.PlainName)));

    private static bool HasCifar10(string folder) =>
        Cifar10Format.AllFileNames.Any(name => File.Exists(Path.Combine(folder, name)))
        || Directory.Exists(Path.Combine(folder, Cifar10.FolderName))
        || File.Exists(Path.Combine(folder, Cifar10.ArchiveFileName));

    /// <summary>
    /// Which IDX dataset a folder holds: the one whose published test labels (5 KB) match, gzipped or inflated; for
    /// files of unknown origin, Fashion-MNIST when the folder's path says so, else MNIST (whose class names are the
    /// digits, neutral for any ten classes). <c>--dataset</c> overrides the guess.
    /// </summary>
    internal static BuiltInDataset IdxDatasetOf(string folder)
    {
        var file = IdxDatasetSpec.FashionMnist.TestLabels; // the same names in both specs
        string gz = Path.Combine(folder, file.GzName), plain = Path.Combine(folder, file.PlainName);
        string? compressedMd5 = null, inflatedMd5 = null;
        try
        {
            if (File.Exists(gz))
            {
                byte[] bytes = File.ReadAllBytes(gz);
                compressedMd5 = Convert.ToHexStringLower(MD5.HashData(bytes));
                using var inflate = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                inflatedMd5 = Convert.ToHexStringLower(MD5.HashData(inflate));
            }
            else if (File.Exists(plain))
            {
                inflatedMd5 = Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(plain)));
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Unreadable: the loader names the file and the problem when it reads it.
        }
        foreach (var (dataset, spec) in new[] { (BuiltInDataset.FashionMnist, IdxDatasetSpec.FashionMnist), (BuiltInDataset.Mnist, IdxDatasetSpec.Mnist) })
            if (compressedMd5 == spec.TestLabels.PublishedMd5 || (inflatedMd5 is not null && inflatedMd5 == spec.TestLabels.InflatedMd5))
                return dataset;
        return folder.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? BuiltInDataset.FashionMnist : BuiltInDataset.Mnist;
    }

    /// <summary>Reports on the reporting thread; <see cref="Progress{T}"/> would post each report to the thread pool.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
