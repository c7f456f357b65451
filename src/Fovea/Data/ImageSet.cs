using System.IO.MemoryMappedFiles;

namespace Fovea.Data;

/// <summary>
/// A set of 8-bit images in NHWC order (Keras's <c>x_train</c>: <c>(50000, 32, 32, 3)</c>).
/// Pixels stay bytes, a quarter of the float size; the model scales them to [0, 1] batch by batch. They live in a
/// byte array, or in a memory-mapped file (<see cref="MapFile"/>) so that a set larger than memory can still train;
/// <see cref="Subset"/> gives a view of chosen images without copying them.
/// </summary>
public sealed class ImageSet
{
    // Exactly one of _array and _mapped holds the stored images; _order, when set, makes this a view whose image i
    // is stored image _order[i].
    private readonly byte[]? _array;
    private readonly MappedPixels? _mapped;
    private readonly int[]? _order;

    /// <summary>A set of <paramref name="count"/> images of <paramref name="height"/>×<paramref name="width"/>×<paramref name="channels"/>
    /// bytes each, held in <paramref name="pixels"/> (NHWC, not copied).</summary>
    public ImageSet(byte[] pixels, int count, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckDimensions(count, height, width, channels);
        if (pixels.LongLength != (long)count * height * width * channels)
            throw new ArgumentException($"pixels length must be {(long)count * height * width * channels} for {count} images of {height}x{width}x{channels}; got {pixels.LongLength}", nameof(pixels));
        _array = pixels;
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
    }

    private ImageSet(byte[]? array, MappedPixels? mapped, int[]? order, int count, int height, int width, int channels)
    {
        (_array, _mapped, _order) = (array, mapped, order);
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>
    /// Maps <paramref name="count"/> images stored one after another (HWC bytes each) from byte
    /// <paramref name="offset"/> of <paramref name="path"/>, read-only. The operating system pages pixels in as
    /// batches touch them and may drop them again, so the set can be larger than memory. The mapping lasts as long
    /// as the set (and any <see cref="Subset"/> of it) is reachable; spans from the indexer are valid while it is.
    /// The file must not be truncated while mapped: replace it by renaming a new file over it, as
    /// <c>AtomicFile</c> does.
    /// </summary>
    /// <exception cref="InvalidDataFileException">The file is shorter than the images it should hold.</exception>
    public static ImageSet MapFile(string path, long offset, int count, int height, int width, int channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset), $"offset must be non-negative; got {offset}");
        CheckDimensions(count, height, width, channels);
        long bytes = (long)count * height * width * channels;
        if (bytes == 0) return new ImageSet([], count, height, width, channels); // a view of zero bytes cannot be mapped
        return new ImageSet(null, new MappedPixels(path, offset, bytes), null, count, height, width, channels);
    }

    /// <summary>The stored bytes of a set built from a byte array (not a memory-mapped file, not a subset view).</summary>
    /// <exception cref="InvalidOperationException">The set is memory-mapped or a view: read it with the indexer.</exception>
    public byte[] Pixels => _array is not null && _order is null
        ? _array
        : throw new InvalidOperationException(_mapped is not null
            ? $"Pixels is only available for an ImageSet held in a byte array; this one is memory-mapped from {_mapped.Path}: read images with the indexer"
            : "Pixels is only available for an ImageSet held in a byte array; this one is a subset view: read images with the indexer");

    /// <summary>True when the pixels are read from a memory-mapped file rather than held in a byte array.</summary>
    public bool IsMemoryMapped => _mapped is not null;

    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Height of each image, in pixels.</summary>
    public int Height { get; }
    /// <summary>Width of each image, in pixels.</summary>
    public int Width { get; }
    /// <summary>Channels per pixel: 3 for RGB, 1 for grey.</summary>
    public int Channels { get; }
    /// <summary>Bytes per image: height × width × channels.</summary>
    public int ImageSize => Height * Width * Channels;

    /// <summary>The NumPy-style shape, e.g. <c>(50000, 32, 32, 3)</c>.</summary>
    public Shape Shape => new(Count, Height, Width, Channels);

    /// <summary>Shape of one image: <c>(32, 32, 3)</c>.</summary>
    public Shape ImageShape => new(Height, Width, Channels);

    /// <summary>The pixels of image <paramref name="index"/>, HWC.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"index must be in [0, {Count}); got {index}");
            // A long offset: a mapped set may hold more than 2 GB; a single image is always far below it.
            long at = (long)(_order is null ? index : _order[index]) * ImageSize;
            return _array is not null ? _array.AsSpan(checked((int)at), ImageSize) : _mapped!.Slice(at, ImageSize);
        }
    }

    /// <summary>
    /// A view of the images at <paramref name="indices"/>, in that order (repeats allowed), sharing this set's
    /// storage: how a validation split of a memory-mapped set is taken without copying it.
    /// </summary>
    public ImageSet Subset(ReadOnlySpan<int> indices)
    {
        var order = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"indices must be in [0, {Count}); got {index} at position {i}");
            order[i] = _order is null ? index : _order[index];
        }
        return new ImageSet(_array, _mapped, order, order.Length, Height, Width, Channels);
    }

    /// <summary>The first <paramref name="count"/> images (a copy, held in a byte array).</summary>
    public ImageSet Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        long bytes = (long)count * ImageSize;
        if (bytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(count), $"count must be at most {Array.MaxLength / ImageSize} to copy {ImageSize}-byte images into one array; got {count}");
        if (_array is not null && _order is null) return new ImageSet(_array.AsSpan(0, (int)bytes).ToArray(), count, Height, Width, Channels);
        var pixels = new byte[bytes];
        for (int i = 0; i < count; i++) this[i].CopyTo(pixels.AsSpan(i * ImageSize, ImageSize));
        return new ImageSet(pixels, count, Height, Width, Channels);
    }

    private static void CheckDimensions(int count, int height, int width, int channels)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be non-negative; got {count}");
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"image dimensions must be positive; got {height}x{width}x{channels}");
        if ((long)height * width * channels > Array.MaxLength)
            throw new ArgumentException($"one image must fit in an array; got {height}x{width}x{channels}");
    }

    /// <summary>
    /// A read-only view of part of a file. The pointer is acquired once and released by the finalizer, so reading an
    /// image costs no handle bookkeeping; the view is unmapped when neither this object nor its handle is reachable.
    /// </summary>
    private sealed unsafe class MappedPixels
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _start;
        private readonly long _length;
        private readonly bool _acquired;

        public MappedPixels(string path, long offset, long length)
        {
            Path = path;
            _length = length;
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
                if (stream.Length < offset + length)
                    throw new InvalidDataFileException($"{path}: file is {stream.Length:N0} bytes; the images need {offset + length:N0} (from byte {offset:N0})");
                _file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                    HandleInheritability.None, leaveOpen: true);
                _view = _file.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataFileException($"{path}: cannot be mapped into memory ({e.Message})", e);
            }
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _acquired = true;
            // The view starts at the allocation granularity below offset; PointerOffset is the distance to offset.
            _start = pointer + _view.PointerOffset;
        }

        public string Path { get; }

        public ReadOnlySpan<byte> Slice(long at, int length)
        {
            if (at < 0 || at + length > _length) throw new ArgumentOutOfRangeException(nameof(at), $"[{at}, {at + length}) is outside the {_length}-byte view of {Path}");
            return new ReadOnlySpan<byte>(_start + at, length);
        }

        // The handle is a critical finalizer object: it is still alive here and unmaps the view after this runs.
        // A constructor that threw acquired nothing.
        ~MappedPixels()
        {
            if (_acquired) _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }
}
