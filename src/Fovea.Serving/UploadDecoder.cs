using Fovea.Imaging;

namespace Fovea.Serving;

/// <summary>
/// Turns an uploaded file into the model's input exactly as <c>fovea predict</c> does (centre crop, resize, HWC in the
/// model's colour mode).
/// The one place that names the image loader, which is moving to its own assembly.
/// </summary>
internal static class UploadDecoder
{
    /// <summary>The height x width x channels bytes of the picture in <paramref name="bytes"/>.</summary>
    /// <exception cref="FoveaException">Not a supported picture, truncated, or a header that claims more pixels than
    /// allowed or than the file can hold (a decompression bomb); the message starts with <paramref name="name"/>.</exception>
    public static byte[] Decode(byte[] bytes, string name, int height, int width, ColorMode colorMode)
    {
        var pixels = new byte[height * width * colorMode.Channels()];
        ImageLoader.Load(bytes, name, height, width, colorMode, pixels);
        return pixels;
    }
}
