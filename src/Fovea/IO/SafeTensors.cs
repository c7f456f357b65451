namespace Fovea.IO;

/// <summary>
/// Reads and writes tensors in the safetensors format (Hugging Face): a length-prefixed JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data. Unlike pickle-based formats, loading
/// runs no code, and <see cref="Read(string, SafeTensorsLimits?)"/> is hardened for files from anywhere.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Saves <paramref name="tensors"/> (and optional <paramref name="metadata"/> strings) to <paramref name="path"/>,
    /// atomically: an existing file is replaced only once the new one is completely on disk (see <see cref="AtomicFile"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate or reserved tensor names, null entries or values.</exception>
    /// <exception cref="FoveaException">The file could not be written (folder missing or read-only, disk full).</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors, metadata, wrapForTest: null);

    /// <summary>Writes the same bytes as the file overload to <paramref name="destination"/>, from its current position.</summary>
    public static void Write(Stream destination, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        new SafeTensorsWriter(tensors, metadata).WriteTo(destination);
    }

    /// <summary>The file as a byte array; convenient for tests and small payloads.</summary>
    public static byte[] ToBytes(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var memory = new MemoryStream();
        Write(memory, tensors, metadata);
        return memory.ToArray();
    }

    internal static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata,
        Func<Stream, Stream>? wrapForTest)
    {
        // Built (and so validated) before the temporary file exists: argument errors leave no trace on disk.
        var writer = new SafeTensorsWriter(tensors, metadata);
        AtomicFile.Write(path, writer.WriteTo, wrapForTest);
    }

    /// <summary>
    /// Loads every tensor and the metadata of the safetensors file at <paramref name="path"/>, validating it fully first.
    /// </summary>
    /// <exception cref="InvalidDataFileException">
    /// Any problem with the file (missing, unreadable, truncated, malformed, over <paramref name="limits"/>); the
    /// one-line message starts with <paramref name="path"/> and says what is wrong.
    /// </exception>
    public static SafeTensorsFile Read(string path, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= SafeTensorsLimits.Default;
        limits.Validate();
        try
        {
            // No FileStream buffer: the header and each tensor are read in one call straight into their arrays.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            if (!file.CanSeek) throw new InvalidDataFileException($"{path}: is not a regular file (a pipe or device has no length to check the header against)");
            return SafeTensorsReader.Read(file, path, limits);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidDataFileException($"{path}: file not found", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new InvalidDataFileException($"{path}: file not found (its folder does not exist)", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidDataFileException($"{path}: cannot read the file: {SafeTensorsText.OneLine(e.Message)}", e);
        }
        catch (IOException e) when (e is not EndOfStreamException)
        {
            throw new InvalidDataFileException($"{path}: cannot read the file: {SafeTensorsText.OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/>'s current position to its end. The stream must be
    /// seekable, because its length is what every size in the header is checked against. Errors name
    /// <paramref name="displayName"/>.
    /// </summary>
    public static SafeTensorsFile Read(Stream stream, string displayName, SafeTensorsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException($"stream must be readable and seekable; got CanRead={stream.CanRead}, CanSeek={stream.CanSeek}", nameof(stream));
        limits ??= SafeTensorsLimits.Default;
        limits.Validate();
        return SafeTensorsReader.Read(stream, displayName, limits);
    }
}
