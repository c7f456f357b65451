namespace Fovea.IO;

/// <summary>
/// Bounds on what a safetensors file may ask the reader to do, so that an untrusted or corrupt file cannot make
/// it allocate or work without limit. The file's own length bounds the data; these bound the header.
/// </summary>
public sealed record SafeTensorsLimits
{
    /// <summary>The limits a read uses when it is given none: this record's initial values.</summary>
    public static SafeTensorsLimits Default { get; } = new();

    /// <summary>
    /// Largest JSON header accepted, in bytes. 100,000,000 is the limit of the format's reference implementation;
    /// real headers are kilobytes (about 100 bytes per tensor).
    /// </summary>
    public long MaxHeaderBytes { get; init; } = 100_000_000;

    /// <summary>Most tensor entries accepted. Large language models hold a few thousand per file.</summary>
    public int MaxTensors { get; init; } = 1_000_000;

    /// <summary>Most dimensions a tensor may have. Image models use at most 5 (a batch of video frames).</summary>
    public int MaxRank { get; init; } = 32;

    internal void Validate()
    {
        if (MaxHeaderBytes < 2) throw new ArgumentOutOfRangeException(nameof(MaxHeaderBytes), $"{nameof(MaxHeaderBytes)} must be at least 2 (\"{{}}\"); got {MaxHeaderBytes}");
        if (MaxTensors < 0) throw new ArgumentOutOfRangeException(nameof(MaxTensors), $"{nameof(MaxTensors)} must be non-negative; got {MaxTensors}");
        if (MaxRank < 0) throw new ArgumentOutOfRangeException(nameof(MaxRank), $"{nameof(MaxRank)} must be non-negative; got {MaxRank}");
    }
}
