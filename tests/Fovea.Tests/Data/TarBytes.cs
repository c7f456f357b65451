using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Fovea.Tests.Data;

/// <summary>
/// Reads and patches the bytes of a tar archive (the ustar/GNU header layout) for tests that need a corrupt one:
/// TarWriter only writes valid headers.
/// </summary>
internal static class TarBytes
{
    public const int Block = 512;
    public const int NameOffset = 0, ModeOffset = 100, SizeOffset = 124, MtimeOffset = 136, ChecksumOffset = 148, TypeFlagOffset = 156;

    /// <summary>The header fields: name, offset and length.</summary>
    public static readonly (string Name, int Offset, int Length)[] Fields =
    [
        ("name", NameOffset, 100), ("mode", ModeOffset, 8), ("uid", 108, 8), ("size", SizeOffset, 12), ("mtime", MtimeOffset, 12),
        ("checksum", ChecksumOffset, 8), ("typeflag", TypeFlagOffset, 1), ("linkname", 157, 100), ("magic", 257, 8), ("prefix", 345, 155),
    ];

    /// <summary>The (header offset, header + padded data length) of every entry, walking the sizes; stops at the end marker or a bad size.</summary>
    public static List<(int Header, int Length)> Entries(byte[] tar)
    {
        var entries = new List<(int, int)>();
        for (int at = 0; at + Block <= tar.Length && tar[at] != 0;)
        {
            long size = Size(tar, at);
            if (size < 0 || at + Block + size > tar.Length) break;
            int length = Block + (int)((size + Block - 1) / Block * Block);
            entries.Add((at, length));
            at += length;
        }
        return entries;
    }

    /// <summary>Header offset of the first entry whose name ends with <paramref name="suffix"/>.</summary>
    public static int HeaderOf(byte[] tar, string suffix) =>
        Entries(tar).First(e => Encoding.ASCII.GetString(tar, e.Header, 100).TrimEnd('\0').EndsWith(suffix, StringComparison.Ordinal)).Header;

    /// <summary>The size field as octal text, or -1 when it is not (base-256, garbage).</summary>
    public static long Size(byte[] tar, int header)
    {
        string text = Encoding.ASCII.GetString(tar, header + SizeOffset, 11).TrimEnd('\0', ' ');
        try
        {
            return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
        }
        catch (FormatException)
        {
            return -1;
        }
    }

    /// <summary>
    /// A numeric field: octal digits and a NUL when the value fits, else (or when asked) GNU's base-256 form, a
    /// 0x80 (0xFF if negative) marker byte then the value big-endian, sign-extended over the rest of the field.
    /// </summary>
    public static void WriteNumber(Span<byte> field, long value, bool base256 = false)
    {
        field.Clear();
        int digits = field.Length - 1;
        if (base256 || value < 0 || value > (1L << (3 * digits)) - 1)
        {
            field.Fill(value < 0 ? (byte)0xFF : (byte)0);
            field[0] = value < 0 ? (byte)0xFF : (byte)0x80;
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            int n = Math.Min(8, field.Length - 1);
            bytes[(8 - n)..].CopyTo(field[(field.Length - n)..]);
        }
        else
        {
            Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(digits, '0')).CopyTo(field);
        }
    }

    /// <summary>The header checksum: the sum of its bytes with the checksum field read as spaces, as 6 octal digits, NUL, space.</summary>
    public static void WriteChecksum(Span<byte> header)
    {
        header.Slice(ChecksumOffset, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in header[..Block]) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0')).CopyTo(header[ChecksumOffset..]);
        header[ChecksumOffset + 6] = 0;
        header[ChecksumOffset + 7] = (byte)' ';
    }

    public static byte[] Gunzip(byte[] gz)
    {
        using var gzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var tar = new MemoryStream();
        gzip.CopyTo(tar);
        return tar.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return gz.ToArray();
    }
}
