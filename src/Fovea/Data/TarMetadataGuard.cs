using System.Buffers.Binary;
using System.Text;

namespace Fovea.Data;

/// <summary>
/// Sits between the inflater and <see cref="System.Formats.Tar.TarReader"/>, which reads a PAX extended header or
/// a GNU long name whole into an array sized by the entry's header (up to 2 GB) before it can find the data
/// missing: a 100-byte .tar.gz could ask for gigabytes. This stream reads each header block before passing it on
/// and refuses such entries over <see cref="MaxMetadataBytes"/>, so TarReader never sees them. Everything else
/// passes through unchanged; header checksums and the rest of the format are left to TarReader.
/// </summary>
/// <remarks>
/// Finding the headers means following the entry sizes as TarReader does. A PAX header may set the next entry's
/// size, which would move the next header; CIFAR-10 has no use for that (it is for files over 8 GB), so it is refused.
/// </remarks>
internal sealed class TarMetadataGuard(Stream inner) : Stream
{
    private const int Block = 512;

    /// <summary>Longest PAX header or GNU long name accepted; real ones are a few hundred bytes.</summary>
    public const int MaxMetadataBytes = 64 * 1024;

    private long _position;          // bytes handed out so far
    private long _nextHeader;        // offset of the next header block; -1 once past the end marker or lost
    private byte[] _pending = [];    // a header (and metadata) read ahead, handed out before anything more is read
    private int _pendingAt;

    public override int Read(Span<byte> buffer)
    {
        if (_pendingAt == _pending.Length && _position == _nextHeader) ReadHeader();
        int n;
        if (_pendingAt < _pending.Length)
        {
            n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
            _pending.AsSpan(_pendingAt, n).CopyTo(buffer);
            _pendingAt += n;
        }
        else
        {
            // Never past the next header, so that it is read ahead and checked first.
            if (_nextHeader >= 0) buffer = buffer[..(int)Math.Min(buffer.Length, _nextHeader - _position)];
            n = inner.Read(buffer);
        }
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <exception cref="InvalidDataException">A PAX header or GNU long name over the limit, or a PAX size override.</exception>
    private void ReadHeader()
    {
        byte[] header = new byte[Block];
        int got = inner.ReadAtLeast(header, Block, throwOnEndOfStream: false);
        (_pending, _pendingAt) = (header[..got], 0);
        if (got < Block || header.AsSpan().IndexOfAnyExcept((byte)0) < 0 || !TryParseSize(header.AsSpan(124, 12), out long size))
        {
            _nextHeader = -1; // the end, a cut-off archive or a bad size: TarReader stops or throws here; nothing more to guard
            return;
        }
        char type = (char)header[156];
        if (type is 'x' or 'g' or 'L' or 'K')
        {
            string what = type is 'x' or 'g' ? "PAX extended header" : "GNU long name";
            if (size > MaxMetadataBytes)
                throw new InvalidDataException($"a {what} of {size} bytes in a tar header (at most {MaxMetadataBytes} accepted)");
            // Read its data ahead too: a PAX header that sets the next entry's size would move the next header.
            int padded = (int)((size + Block - 1) / Block * Block);
            byte[] data = new byte[padded];
            int read = inner.ReadAtLeast(data, padded, throwOnEndOfStream: false);
            _pending = [.. header, .. data.AsSpan(0, read)];
            if (type == 'x' && SetsSize(data.AsSpan(0, Math.Min(read, (int)size))))
                throw new InvalidDataException("a PAX extended header sets an entry's size, which a CIFAR-10 archive never needs");
        }
        _nextHeader = _position + Block + (size + Block - 1) / Block * Block;
    }

    /// <summary>
    /// A tar number field as TarReader reads it: octal digits, padded with spaces or NULs, or GNU base-256 (first byte
    /// 0x80, then big-endian). False for anything else, which TarReader refuses too.
    /// </summary>
    private static bool TryParseSize(ReadOnlySpan<byte> field, out long size)
    {
        size = 0;
        if (field[0] == 0x80)
        {
            if (field[1..4].IndexOfAnyExcept((byte)0) >= 0) return false;
            size = BinaryPrimitives.ReadInt64BigEndian(field[4..]);
            return size >= 0;
        }
        ReadOnlySpan<byte> digits = field.Trim(" \0"u8);
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'7' || size > long.MaxValue >> 3) return false;
            size = size * 8 + (b - '0');
        }
        return true;
    }

    /// <summary>Whether PAX records ("length key=value\n") include the key "size".</summary>
    private static bool SetsSize(ReadOnlySpan<byte> records)
    {
        foreach (string record in Encoding.UTF8.GetString(records).Split('\n'))
        {
            int space = record.IndexOf(' ');
            if (space >= 0 && record.AsSpan(space + 1).StartsWith("size=", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
