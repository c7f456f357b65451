using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fovea.IO;

/// <summary>
/// Moves arrays of numbers to and from streams as little-endian bytes, the byte order of safetensors data.
/// </summary>
/// <remarks>
/// Every platform .NET ships on today is little-endian, so the array's own bytes go to the stream without a copy
/// (a 100 MB weight tensor must not be duplicated to be saved). The byte-swapping branch keeps the format
/// correct should that ever change; it works through a small pooled buffer.
/// </remarks>
internal static class LittleEndianElements
{
    private const int SwapChunkBytes = 64 * 1024;

    public static void Write<T>(Stream destination, ReadOnlySpan<T> elements) where T : unmanaged
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(elements);
        if (BitConverter.IsLittleEndian || Unsafe.SizeOf<T>() == 1)
        {
            destination.Write(bytes);
            return;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SwapChunkBytes);
        try
        {
            for (int start = 0; start < bytes.Length; start += SwapChunkBytes)
            {
                int n = Math.Min(SwapChunkBytes, bytes.Length - start);
                Span<byte> chunk = buffer.AsSpan(0, n);
                bytes.Slice(start, n).CopyTo(chunk);
                ReverseEach<T>(chunk);
                destination.Write(chunk);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills <paramref name="elements"/> from the stream; throws <see cref="EndOfStreamException"/> if it ends first.</summary>
    public static void Read<T>(Stream source, Span<T> elements) where T : unmanaged
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(elements);
        source.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian) ReverseEach<T>(bytes);
    }

    private static void ReverseEach<T>(Span<byte> bytes) where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 8:
                var longs = MemoryMarshal.Cast<byte, long>(bytes);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
            case 4:
                var ints = MemoryMarshal.Cast<byte, int>(bytes);
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
            case 1:
                break;
            default:
                throw new NotSupportedException($"element size {Unsafe.SizeOf<T>()} of {typeof(T).Name} has no byte-order rule");
        }
    }
}
