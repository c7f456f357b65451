using Fovea.Imaging;

namespace Fovea.Serving;

/// <summary>
/// Turns an uploaded file into the model's input exactly as <c>fovea predict</c> does (centre crop, resize, RGB HWC).
/// The one place that names the image loader, which is moving to its own assembly.
/// </summary>
internal static class UploadDecoder
{
    /// <summary>The <paramref name="side"/> x <paramref name="side"/> RGB bytes of the picture in <paramref name="bytes"/>.</summary>
    /// <exception cref="FoveaException">Not a supported picture, truncated, or a header that claims more pixels than
    /// allowed or than the file can hold (a decompression bomb); the message starts with <paramref name="name"/>.</exception>
    public static byte[] Decode(byte[] bytes, string name, int side) => ImageLoader.LoadForModel(bytes, name, side);
}
