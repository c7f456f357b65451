namespace Fovea.Imaging;

/// <summary>
/// Who writes a cache file: the processes of a distributed run (or several runs) that start on the same folder at
/// once would otherwise each decode every picture. The first to lock the cache's lock file decodes and writes the
/// cache; the others on the machine wait for the lock and then find the cache written. The lock files live in the
/// machine's temporary folder (<c>fovea-cache-locks/</c>, named for the cache's full path), so the cache folder
/// holds caches only; processes on other machines sharing the folder each write their own copy, atomically, so no
/// reader ever sees half of one. The operating system releases the lock of a process that dies. An empty lock file
/// stays: deleting it could let a waiting process and a newcomer hold locks on two different files.
/// </summary>
internal sealed class ImageCacheLock : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly FileStream? _file;

    private ImageCacheLock(FileStream? file) => _file = file;

    /// <summary>Waits until this process alone may write <paramref name="cachePath"/>. Where no lock file can be made
    /// (a read-only folder), returns at once: the cache's own write then says what is wrong.</summary>
    public static ImageCacheLock Acquire(string cachePath)
    {
        byte[] name = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(cachePath)));
        string folder = Path.Combine(Path.GetTempPath(), "fovea-cache-locks");
        string lockPath = Path.Combine(folder, $"{Convert.ToHexStringLower(name, 0, 16)}.lock");
        while (true)
        {
            try
            {
                Directory.CreateDirectory(folder);
                // FileShare.None is an exclusive advisory lock (flock) on Linux and macOS, a share lock on Windows.
                return new ImageCacheLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                Thread.Sleep(Poll);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new ImageCacheLock(null);
            }
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _file?.Dispose();
}
