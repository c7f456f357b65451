using Fovea.IO;
using Fovea.Kernels;

namespace Fovea.Imaging;

/// <summary>
/// Decodes a folder's pictures once, on all of <see cref="Engine.Threads"/>, and writes them as an
/// <see cref="ImageCache"/> file. Pictures are decoded a chunk at a time into one buffer (a few MB) and streamed to
/// the file in scan order, so a folder larger than memory can be cached; the file appears under its name only when
/// complete (<see cref="AtomicFile"/>), and only one process at a time decodes and writes it (<see cref="ImageCacheLock"/>).
/// </summary>
internal sealed class ImageCacheWriter : IParallelWork
{
    /// <summary>Bytes of decoded pixels held at once; at 32x32 RGB that is about 5,000 pictures.</summary>
    private const int ChunkBytes = 16 << 20;

    private readonly ImageFile[] _files;
    private readonly int _height, _width, _imageSize;
    private readonly ColorMode _mode;
    private readonly IProgress<ImageLoadProgress>? _progress;
    private readonly int _progressStep;
    private readonly Lock _progressLock = new();
    private readonly byte[] _chunk;
    private readonly string?[] _failures;
    private int _chunkStart;
    private int _decoded;
    private int _reported;

    private ImageCacheWriter(ImageFile[] files, int height, int width, ColorMode mode, IProgress<ImageLoadProgress>? progress)
    {
        (_files, _height, _width, _mode, _progress) = (files, height, width, mode, progress);
        _imageSize = height * width * mode.Channels();
        int chunkImages = Math.Clamp(ChunkBytes / _imageSize, 1, Math.Max(1, files.Length));
        _chunk = new byte[(long)chunkImages * _imageSize];
        _failures = new string?[chunkImages];
        _progressStep = Math.Max(1, files.Length / 100);
    }

    /// <summary>
    /// Decodes every file of <paramref name="files"/> and writes the cache to <paramref name="path"/>.
    /// Returns the files left out, with the decoder's reason (without the path). A cache that another process wrote
    /// while this one waited for the lock is kept, not written again.
    /// </summary>
    /// <exception cref="InvalidDataFileException"><paramref name="strict"/> and a file did not decode: the first in
    /// scan order, named by its full path. No cache is written.</exception>
    /// <exception cref="FoveaException">The cache file cannot be written (disk full, folder read-only).</exception>
    public static SkippedEntry[] Write(string path, byte[] key, ImageFile[] files, int height, int width, ColorMode mode, bool strict,
        IProgress<ImageLoadProgress>? progress)
    {
        // One process decodes; the others of a distributed run wait and then find its cache here.
        using var writing = ImageCacheLock.Acquire(path);
        if (ImageCache.Verified(path, key, height, width, mode.Channels(), files.Length) is { } written) return written;
        var writer = new ImageCacheWriter(files, height, width, mode, progress);
        var skipped = new List<SkippedEntry>();
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[ImageCache.HeaderBytes]); // filled in last, when the count is known
            int chunkImages = writer._failures.Length;
            for (int start = 0; start < files.Length; start += chunkImages)
            {
                int count = Math.Min(chunkImages, files.Length - start);
                writer._chunkStart = start;
                Array.Clear(writer._failures);
                // One part per picture: parts are claimed in turn, so a large photo does not hold up a whole slice.
                WorkerPool.Shared.Run(writer, count);
                for (int i = 0; i < count; i++)
                {
                    if (writer._failures[i] is not { } failure)
                    {
                        stream.Write(writer._chunk, i * writer._imageSize, writer._imageSize);
                        continue;
                    }
                    if (strict) throw new InvalidDataFileException(failure);
                    skipped.Add(new SkippedEntry(start + i, WithoutPath(failure, files[start + i].FullPath)));
                }
            }
            byte[] skipList = ImageCache.SkipList(skipped);
            stream.Write(skipList);
            ImageCache.WriteHeader(stream, key, files.Length - skipped.Count, height, width, mode.Channels(), files.Length, skipList);
        });
        return skipped.ToArray();
    }

    /// <summary>Decodes picture <c>_chunkStart + part</c> into slot <paramref name="part"/> of the chunk.</summary>
    public void Execute(int part)
    {
        ImageFile file = _files[_chunkStart + part];
        try
        {
            byte[] bytes = ImageLoader.ReadFile(file.FullPath);
            ImageLoader.Load(bytes, file.FullPath, _height, _width, _mode, _chunk.AsSpan(part * _imageSize, _imageSize));
        }
        catch (FoveaException e)
        {
            _failures[part] = e.Message;
        }
        Report(Interlocked.Increment(ref _decoded));
    }

    /// <summary>About every 1% and at the end; under a lock so the counts a caller sees only go up.</summary>
    private void Report(int decoded)
    {
        if (_progress is null || (decoded % _progressStep != 0 && decoded != _files.Length)) return;
        lock (_progressLock)
        {
            if (decoded <= _reported) return;
            _reported = decoded;
            _progress.Report(new ImageLoadProgress(decoded, _files.Length));
        }
    }

    /// <summary>The loader's messages start with the path it was given; the report names files relative to the folder.</summary>
    private static string WithoutPath(string message, string path) =>
        message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..] : message;
}
