using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Fovea.Data;

/// <summary>
/// One IDX file of unsigned bytes (LeCun's MNIST format): the magic number <c>00 00 08 DD</c> (element type 0x08,
/// DD dimensions), DD big-endian 32-bit sizes, then the elements row-major, and nothing after them. Plain or gzipped:
/// which is decided by the first two bytes (1f 8b), not by the name. <see cref="Open"/> reads and checks the header
/// only, so the caller can compare sizes between files before allocating; <see cref="ReadData"/> then reads the
/// elements, checks that nothing follows them (which, for gzip, also checks its CRC) and, for gzip, hashes the file.
/// </summary>
internal sealed class IdxFile : IDisposable
{
    public const byte UnsignedByte = 0x08;

    /// <summary>Deflate's largest expansion (zlib's figure): 258 bytes from one 2-bit code.</summary>
    private const long MaxDeflateRatio = 1032;

    private readonly FileStream _file;
    private readonly HashingReadStream? _compressed; // the .gz file's bytes, hashed as the inflater reads them
    private readonly HashingReadStream? _inflated;   // the IDX bytes inflated from it, hashed as they are parsed
    private readonly Stream _data;                    // where the header and elements are read from

    private IdxFile(string path, FileStream file, bool compressed)
    {
        Path = path;
        _file = file;
        Compressed = compressed;
        if (compressed)
        {
            _compressed = new HashingReadStream(file, HashAlgorithmName.MD5);
            _inflated = new HashingReadStream(new GZipStream(_compressed, CompressionMode.Decompress), HashAlgorithmName.MD5);
            _data = _inflated;
        }
        else
        {
            _data = file;
        }
    }

    public string Path { get; }

    /// <summary>Whether the file is gzipped.</summary>
    public bool Compressed { get; }

    /// <summary>The sizes in the header, e.g. (60000, 28, 28) for images.</summary>
    public int[] Dimensions { get; private set; } = [];

    public long HeaderLength => 4 + 4L * Dimensions.Length;

    /// <summary>Number of elements (bytes) after the header: the product of <see cref="Dimensions"/>.</summary>
    public long DataLength { get; private set; }

    /// <summary>Opens <paramref name="path"/> and reads its header, which must have <paramref name="dimensions"/> sizes.</summary>
    /// <param name="layout">What the dimensions are, for messages: <c>"images, rows, columns"</c>.</param>
    /// <param name="path">The IDX file, plain or gzipped.</param>
    /// <param name="dimensions">Number of sizes the header must have.</param>
    /// <exception cref="InvalidDataFileException">The file cannot be read, or its header is not that of an unsigned-byte IDX file of
    /// that many dimensions, or it promises more data than an array can hold or the file can contain.</exception>
    public static IdxFile Open(string path, int dimensions, string layout)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(path, ex);
        }
        try
        {
            Span<byte> magic = stackalloc byte[2];
            bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            file.Position = 0;
            var idx = new IdxFile(path, file, gzip);
            try
            {
                idx.ReadHeader(dimensions, layout);
                return idx;
            }
            catch
            {
                idx.Dispose();
                throw;
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void ReadHeader(int dimensions, string layout)
    {
        try
        {
            ReadHeaderUnguarded(dimensions, layout);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw Translate(ex);
        }
    }

    private void ReadHeaderUnguarded(int dimensions, string layout)
    {
        long fileLength = _file.Length;
        if (fileLength == 0) throw Fail("file is empty; an IDX file starts with a 4-byte magic number");

        uint expectedMagic = (uint)(UnsignedByte << 8 | dimensions);
        string expected = $"expected 0x{expectedMagic:X8} (unsigned bytes in {dimensions} dimension{(dimensions == 1 ? "" : "s")}: {layout})";
        Span<byte> header = stackalloc byte[4 + 4 * dimensions];
        ReadHeaderBytes(header[..4]);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (header[0] != 0 || header[1] != 0)
            throw Fail($"magic number 0x{magic:X8} is not an IDX file's; {expected}");
        if (header[2] != UnsignedByte)
            throw Fail($"magic number 0x{magic:X8} says element type 0x{header[2]:X2}, not unsigned bytes (0x08); {expected}");
        if (header[3] != dimensions)
            throw Fail($"magic number 0x{magic:X8} says {header[3]} dimension{(header[3] == 1 ? "" : "s")}; {expected}");

        ReadHeaderBytes(header.Slice(4, 4 * dimensions));
        var sizes = new int[dimensions];
        UInt128 total = 1;
        for (int d = 0; d < dimensions; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * d)..]);
            if (size > int.MaxValue || (d > 0 && size == 0))
                throw Fail($"dimension {d} ({layout.Split(", ")[d]}) has size {size}; {(size == 0 ? "it must be positive" : $"at most {int.MaxValue} accepted")}");
            sizes[d] = (int)size;
            total *= size;
        }
        Dimensions = sizes;
        string promise = $"its header promises {Describe(sizes)} ({(UInt128)HeaderLength + total} bytes with the {HeaderLength}-byte header)";
        if (total > (UInt128)Array.MaxLength)
            throw Fail($"{promise}, more than one array can hold");
        DataLength = (long)total;

        // Sizes are only header fields until the data is read; check them against the file before anything is allocated.
        long want = HeaderLength + DataLength;
        if (!Compressed && fileLength < want)
            throw Fail($"size {fileLength} bytes is less than {promise}; the file is truncated");
        if (!Compressed && fileLength > want)
            throw Fail($"size {fileLength} bytes is more than {promise}; {fileLength - want} bytes of trailing data");
        if (Compressed && fileLength <= long.MaxValue / MaxDeflateRatio && want > fileLength * MaxDeflateRatio)
            throw Fail($"{promise}, more than a gzip file of {fileLength} bytes can inflate to (deflate expands at most {MaxDeflateRatio}-fold); the header is corrupt");
    }

    private void ReadHeaderBytes(Span<byte> destination)
    {
        long start = _data.Position;
        int got = _data.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (got < destination.Length)
            throw Fail($"{Data}ends at byte offset {start + got}, inside the IDX header");
    }

    /// <summary>
    /// Reads the <see cref="DataLength"/> elements into <paramref name="destination"/> and checks that the file ends there.
    /// For a gzipped file, the rest of it is then read so that <see cref="CompressedMd5"/> covers every byte.
    /// </summary>
    /// <param name="item">What one entry of the first dimension is, for messages: <c>"image"</c>.</param>
    /// <param name="destination">Exactly <see cref="DataLength"/> bytes.</param>
    public void ReadData(Span<byte> destination, string item)
    {
        if (destination.Length != DataLength)
            throw new ArgumentException($"destination must hold {DataLength} bytes; got {destination.Length}", nameof(destination));
        try
        {
            long itemSize = Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
            int got = _data.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (got < destination.Length)
                throw Fail($"{Data}ends at byte offset {HeaderLength + got}, inside {item} {got / itemSize}; its header promises {HeaderLength + DataLength} bytes (the file is truncated)");
            Span<byte> probe = stackalloc byte[1];
            if (_data.Read(probe) > 0)
                throw Fail($"{Data}goes on past the {HeaderLength + DataLength} bytes its header promises ({Describe(Dimensions)}); trailing data after the last {item}");
            _compressed?.ReadToEnd();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw Translate(ex);
        }
    }

    /// <summary>MD5 of the whole .gz file, once <see cref="ReadData"/> has run; null for a plain file.</summary>
    public string? CompressedMd5 => _compressed?.HexHash();

    /// <summary>MD5 of the inflated IDX bytes (header and data), once <see cref="ReadData"/> has run; null for a plain file.</summary>
    public string? InflatedMd5 => _inflated?.HexHash();

    /// <summary>A corrupt gzip stream or an I/O failure as a one-line message that names the file.</summary>
    private InvalidDataFileException Translate(Exception ex) => ex is InvalidDataException
        // GZipStream words every inflate failure as "unsupported compression method", which misleads.
        ? new($"{Path} is not a valid gzip file: the compressed data is corrupt (bad deflate data or gzip checksum)", ex)
        : CannotRead(Path, ex);

    // Offsets in a gzipped file count bytes of the inflated IDX data.
    private string Data => Compressed ? "inflated data " : "data ";

    private static string Describe(int[] sizes) => sizes.Length switch
    {
        1 => $"{sizes[0]} labels",
        3 => $"{sizes[0]} images of {sizes[1]}x{sizes[2]}",
        _ => string.Join("x", sizes) + " elements",
    };

    private InvalidDataFileException Fail(string reason) => new($"{Path}: {reason}");

    private static InvalidDataFileException CannotRead(string path, Exception ex) =>
        new($"cannot read {path}: {Cifar10Format.OneLine(ex.Message)}", ex);

    public void Dispose()
    {
        _data.Dispose();
        _file.Dispose();
    }
}
