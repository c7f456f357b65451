using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// Reads tensor data that an ONNX file keeps in a separate file (<c>data_location = EXTERNAL</c>). The location must be
/// a relative path that stays inside the model's folder (no absolute path, no <c>..</c> out of it, no link leading
/// out), and the offset and length must lie inside that file and match the tensor's size.
/// </summary>
internal sealed class OnnxExternalData(string folder)
{
    private readonly string _folder = Path.GetFullPath(folder);

    public byte[] Read(TensorProto t, string what, long expected)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in t.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseLong(entry.Value, what, "offset"); break;
                case "length": length = ParseLong(entry.Value, what, "length"); break;
            }
        }
        if (string.IsNullOrEmpty(location) || location.Contains('\0'))
            throw new InvalidDataFileException($"{what} keeps its data outside the file but names no location");
        if (Path.IsPathRooted(location))
            throw new InvalidDataFileException($"{what}: external data location {OnnxText.Quote(location)} must be relative to the model's folder");
        string path = Path.GetFullPath(Path.Combine(_folder, location));
        if (!path.StartsWith(_folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !IsInsideFolder(path))
            throw new InvalidDataFileException($"{what}: external data location {OnnxText.Quote(location)} leads outside the model's folder");
        if (length >= 0 && length != expected)
            throw new InvalidDataFileException($"{what}: external data length {length} does not match its dims ({expected} bytes)");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (offset < 0 || offset > stream.Length || stream.Length - offset < expected)
                throw new InvalidDataFileException($"{what}: external data {OnnxText.Quote(location)} holds {stream.Length} bytes; {expected} needed from offset {offset}");
            var bytes = new byte[expected];
            stream.Position = offset;
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataFileException($"{what}: cannot read external data {OnnxText.Quote(location)}: {e.Message}", e);
        }
    }

    /// <summary>Every component below the folder, links resolved, still inside it.</summary>
    private bool IsInsideFolder(string path)
    {
        for (var info = new FileInfo(path) as FileSystemInfo; info.FullName.Length > _folder.Length; info = Parent(info))
        {
            if (info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !Path.GetFullPath(target.FullName).StartsWith(_folder + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private static FileSystemInfo Parent(FileSystemInfo info) => new DirectoryInfo(Path.GetDirectoryName(info.FullName)!);

    private static long ParseLong(string text, string what, string key) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v
            : throw new InvalidDataFileException($"{what}: external data {key} {OnnxText.Quote(text)} is not a non-negative integer");
}
