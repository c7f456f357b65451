using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Fovea.Data;
using SkiaSharp;

namespace Fovea.Imaging;

/// <summary>A picture left out of a cache: its position in the scan's file list and the decoder's reason.</summary>
internal readonly record struct SkippedEntry(int Index, string Reason);

/// <summary>A verified cache file: the pixels of the pictures that decoded, memory-mapped, and those that did not.</summary>
internal sealed record CachedImages(ImageSet Images, SkippedEntry[] Skipped);

/// <summary>
/// The decoded-pixel cache of one dataset folder: a file of uint8 HWC images that later runs map instead of
/// decoding again. Layout (little-endian):
/// <code>
/// [0, 4096)    header: "FOVEAIMG", format version, header size, images, height, width, channels, files scanned,
///              skip-list length, content key (SHA-256), skip-list SHA-256, header SHA-256 (over the bytes before it)
/// [4096, …)    images × height × width × channels bytes, in the scan's order, skipped files left out
/// […, end)     skip list: per skipped file its index in the scan (int32), reason length (int32), UTF-8 reason
/// </code>
/// A cache is trusted only if its header, sizes, key and skip list all check out; otherwise it is rebuilt. The pixel
/// bytes themselves are not hashed (that would read the whole file on every start, defeating the mapping): a flipped
/// bit inside them reads as a slightly different picture, as it would in the original file.
/// </summary>
internal static class ImageCache
{
    /// <summary>Bump when the file layout or the decoding (crop, resize, grey conversion) changes.</summary>
    public const int FormatVersion = 1;

    /// <summary>Pixels start on a page boundary, so the mapping begins exactly at them.</summary>
    public const int HeaderBytes = 4096;

    private const int KeyBytes = 32;
    private const int HashedHeaderBytes = 104; // magic .. skip-list SHA-256
    private const int UsedHeaderBytes = HashedHeaderBytes + 32;

    private static ReadOnlySpan<byte> Magic => "FOVEAIMG"u8;

    /// <summary><c>~/.fovea/cache</c> (or under <c>$FOVEA_HOME</c>).</summary>
    public static string DefaultDirectory => Path.Combine(FoveaHome.Root, "cache");

    /// <summary>
    /// The cache file for one folder, size and colour mode. A folder whose files change gets the same name, so its
    /// stale cache is replaced rather than left behind; the content key inside says whether the file still fits.
    /// </summary>
    public static string PathFor(string cacheDirectory, string root, int height, int width, ColorMode mode)
    {
        byte[] name = SHA256.HashData(Encoding.UTF8.GetBytes($"{root}\0{height}x{width}\0{mode}\0{FormatVersion}"));
        return Path.Combine(cacheDirectory, $"images-{Convert.ToHexStringLower(name, 0, 12)}.bin");
    }

    /// <summary>
    /// SHA-256 of everything the cached pixels depend on: the files (relative path, class, split, size, modification
    /// time) in scan order, the image size and colour mode, the format version and the Skia version that decoded.
    /// </summary>
    public static byte[] ContentKey(ImageFile[] files, int height, int width, ColorMode mode)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"fovea-image-cache\0{FormatVersion}\0{typeof(SKBitmap).Assembly.GetName().Version}\0{height}x{width}\0{mode}\0{files.Length}\0"));
        Span<byte> numbers = stackalloc byte[4 + 8 + 8 + 4 + 1];
        foreach (ImageFile file in files)
        {
            byte[] relativePath = Encoding.UTF8.GetBytes(file.RelativePath);
            // The path's length first: no two different lists hash the same bytes.
            BinaryPrimitives.WriteInt32LittleEndian(numbers, relativePath.Length);
            BinaryPrimitives.WriteInt64LittleEndian(numbers[4..], file.Length);
            BinaryPrimitives.WriteInt64LittleEndian(numbers[12..], file.ModifiedTicks);
            BinaryPrimitives.WriteInt32LittleEndian(numbers[20..], file.Label);
            numbers[24] = (byte)file.Split;
            hash.AppendData(numbers);
            hash.AppendData(relativePath);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Opens and verifies the cache at <paramref name="path"/>. Returns null when there is none
    /// (<paramref name="problem"/> null) or when it cannot be trusted (<paramref name="problem"/> says why).
    /// </summary>
    public static CachedImages? TryOpen(string path, byte[] key, int height, int width, int channels, int files, out string? problem)
    {
        if (Verify(path, key, height, width, channels, files, out problem) is not { } verified) return null;
        try
        {
            return new CachedImages(ImageSet.MapFile(path, HeaderBytes, verified.Count, height, width, channels), verified.Skipped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataFileException)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>The skip list of the cache at <paramref name="path"/> if it exists and can be trusted (without mapping
    /// it), else null.</summary>
    public static SkippedEntry[]? Verified(string path, byte[] key, int height, int width, int channels, int files) =>
        Verify(path, key, height, width, channels, files, out _)?.Skipped;

    /// <summary>The cache's image count and skip list, once its header, sizes, key and skip list check out.</summary>
    private static (int Count, SkippedEntry[] Skipped)? Verify(string path, byte[] key, int height, int width, int channels, int files, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            var header = new byte[UsedHeaderBytes];
            if (stream.Length < HeaderBytes || stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                return Reject($"the file is {stream.Length:N0} bytes, shorter than its {HeaderBytes:N0}-byte header", out problem);
            if (!header.AsSpan(0, 8).SequenceEqual(Magic)) return Reject("not a Fovea image cache (bad magic)", out problem);
            if (!SHA256.HashData(header.AsSpan(0, HashedHeaderBytes)).AsSpan().SequenceEqual(header.AsSpan(HashedHeaderBytes, 32)))
                return Reject("the header's checksum does not match", out problem);
            int version = Int(header, 8), headerBytes = Int(header, 12), count = Int(header, 16);
            int h = Int(header, 20), w = Int(header, 24), c = Int(header, 28), scanned = Int(header, 32), skipBytes = Int(header, 36);
            if (version != FormatVersion) return Reject($"format version {version}, not {FormatVersion}", out problem);
            if (!header.AsSpan(40, KeyBytes).SequenceEqual(key)) return Reject("the folder's files, the image size or the colour mode changed", out problem);
            if (headerBytes != HeaderBytes || (h, w, c) != (height, width, channels) || scanned != files || count < 0 || count > files || skipBytes < 0)
                return Reject($"the header describes {count} of {scanned} images of {h}x{w}x{c}; expected up to {files} of {height}x{width}x{channels}", out problem);
            long expected = HeaderBytes + (long)count * height * width * channels + skipBytes;
            if (stream.Length != expected) return Reject($"the file is {stream.Length:N0} bytes; its header says {expected:N0}", out problem);

            var skipList = new byte[skipBytes];
            stream.Position = expected - skipBytes;
            stream.ReadExactly(skipList);
            if (!SHA256.HashData(skipList).AsSpan().SequenceEqual(header.AsSpan(72, 32))) return Reject("the skip list's checksum does not match", out problem);
            var skipped = ReadSkipList(skipList);
            if (skipped.Length != files - count) return Reject($"the skip list names {skipped.Length} files; the header says {files - count}", out problem);
            return (count, skipped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Reject(e.Message, out problem);
        }
    }

    private static (int, SkippedEntry[])? Reject(string reason, out string? problem)
    {
        problem = reason;
        return null;
    }

    private static int Int(byte[] bytes, int at) => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));

    /// <exception cref="FormatException">Entries are malformed or not in increasing order.</exception>
    private static SkippedEntry[] ReadSkipList(byte[] bytes)
    {
        var entries = new List<SkippedEntry>();
        int at = 0, previous = -1;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 8) throw new FormatException("the skip list ends inside an entry");
            int index = Int(bytes, at), length = Int(bytes, at + 4);
            at += 8;
            if (index <= previous || length < 0 || length > bytes.Length - at) throw new FormatException("the skip list is malformed");
            entries.Add(new SkippedEntry(index, Encoding.UTF8.GetString(bytes, at, length)));
            at += length;
            previous = index;
        }
        return entries.ToArray();
    }

    /// <summary>Writes the header, after the pixels and skip list are in place.</summary>
    public static void WriteHeader(Stream stream, byte[] key, int count, int height, int width, int channels, int files, byte[] skipList)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        int[] fields = [FormatVersion, HeaderBytes, count, height, width, channels, files, skipList.Length];
        for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8 + 4 * i), fields[i]);
        key.CopyTo(header, 40);
        SHA256.HashData(skipList).CopyTo(header, 72);
        SHA256.HashData(header.AsSpan(0, HashedHeaderBytes)).CopyTo(header, HashedHeaderBytes);
        stream.Position = 0;
        stream.Write(header);
    }

    public static byte[] SkipList(IReadOnlyList<SkippedEntry> skipped)
    {
        var bytes = new MemoryStream();
        Span<byte> numbers = stackalloc byte[8];
        foreach (var (index, reason) in skipped)
        {
            byte[] text = Encoding.UTF8.GetBytes(reason);
            BinaryPrimitives.WriteInt32LittleEndian(numbers, index);
            BinaryPrimitives.WriteInt32LittleEndian(numbers[4..], text.Length);
            bytes.Write(numbers);
            bytes.Write(text);
        }
        return bytes.ToArray();
    }
}
