using System.Security.Cryptography;

namespace Fovea.IO;

/// <summary>
/// Replaces a file all at once: readers (and a crash or power cut) see either the old file or the complete new one,
/// never a torn mixture. A checkpoint that is overwritten every epoch must not be destroyed by a failed save.
/// </summary>
/// <remarks>
/// The content goes to a hidden temporary file in the same folder (a rename is atomic only within one file system),
/// is flushed to the disk, and is then renamed over the target. On failure the temporary file is deleted and the
/// target is untouched. Not covered: the folder entry itself is not fsynced (.NET has no API for it), so after a
/// power cut the rename may be lost, leaving the old file; and the new file gets default permissions, not the old one's.
/// </remarks>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> with what <paramref name="writeContent"/> writes to the stream it is given.
    /// File system failures (disk full, folder missing or read-only) are thrown as <see cref="FoveaException"/>
    /// naming the path; an exception from <paramref name="writeContent"/> itself propagates unchanged.
    /// </summary>
    public static void Write(string path, Action<Stream> writeContent) => Write(path, writeContent, wrapForTest: null);

    /// <summary>Writes UTF-8 text (no byte order mark) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <param name="wrapForTest">Wraps the temporary file's stream, so tests can make the write fail part-way.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="writeContent">Writes the file's content to the stream it is given.</param>
    internal static void Write(string path, Action<Stream> writeContent, Func<Stream, Stream>? wrapForTest)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writeContent);
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        if (fileName.Length == 0) throw new ArgumentException($"path must name a file, not a folder; got '{path}'", nameof(path));
        string folder = Path.GetDirectoryName(fullPath)!;
        string tempPath = Path.Combine(folder, $".{fileName}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

        try
        {
            // CreateNew: never reuse (and so never clobber) a file that happens to have the temporary name.
            using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Stream target = wrapForTest?.Invoke(file) ?? file;
                writeContent(target);
                target.Flush();
                // Without this the rename can reach the disk before the data, and a crash leaves an empty file.
                file.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(tempPath);
            if (e is IOException or UnauthorizedAccessException)
                throw new FoveaException($"{path}: cannot write the file: {SafeTensorsText.OneLine(e.Message)}", e);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing better to do: the original failure is the one to report, and the name marks it as debris.
        }
    }
}
