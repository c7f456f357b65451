namespace Fovea.Imaging;

/// <summary>
/// The channels pictures are converted to (Keras's <c>color_mode</c>): whatever a file holds (grey, paletted,
/// RGB, RGBA), it becomes this. Transparency is flattened onto white first.
/// </summary>
public enum ColorMode
{
    /// <summary>Three channels, R, G, B.</summary>
    Rgb,

    /// <summary>One channel, the ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B (what Pillow's "L" and Keras give).</summary>
    Grayscale,
}

internal static class ColorModes
{
    public static int Channels(this ColorMode mode) => mode switch
    {
        ColorMode.Rgb => 3,
        ColorMode.Grayscale => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), $"colorMode must be Rgb or Grayscale; got {mode}"),
    };
}
