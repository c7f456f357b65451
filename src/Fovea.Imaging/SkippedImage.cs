namespace Fovea.Imaging;

/// <summary>A picture file that was left out, and why (not an image, truncated, too large, unreadable).</summary>
/// <param name="File">Its path relative to the dataset folder, with '/' separators.</param>
/// <param name="Reason">The decoder's one-line message, without the path.</param>
public sealed record SkippedImage(string File, string Reason);
