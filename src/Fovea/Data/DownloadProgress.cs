namespace Fovea.Data;

/// <summary>How far a download has come; <see cref="TotalBytes"/> is null when the server did not say.</summary>
public readonly record struct DownloadProgress(long BytesReceived, long? TotalBytes)
{
    /// <summary>Done fraction in [0, 1], or null when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 and long total ? Math.Min(1.0, (double)BytesReceived / total) : null;
}
