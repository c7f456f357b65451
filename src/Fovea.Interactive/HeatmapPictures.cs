using Fovea.Explain;
using Fovea.Imaging;
using Fovea.Visualization;

namespace Fovea.Interactive;

/// <summary>
/// A <see cref="GradCamResult"/> alone, without the pictures it explains: its heatmaps side by side in the turbo
/// colour map of <c>fovea explain</c> (blue 0, red 1), each enlarged to at least 96 pixels a side.
/// </summary>
internal static class HeatmapPictures
{
    private const int MinSide = 96, Gap = 8, Shown = 16;

    public static Picture Of(GradCamResult cam)
    {
        ArgumentNullException.ThrowIfNull(cam);
        var shape = cam.Upsampled.Shape;
        int n = Math.Min(shape[0], Shown), height = shape[1], width = shape[2];
        int scale = Math.Max(1, (MinSide + Math.Max(height, width) - 1) / Math.Max(height, width));
        int tileWidth = width * scale, tileHeight = height * scale, total = n * tileWidth + (n - 1) * Gap;
        var hwc = new byte[tileHeight * total * 3];
        hwc.AsSpan().Fill(255);
        for (int i = 0; i < n; i++)
            for (int y = 0; y < tileHeight; y++)
                for (int x = 0; x < tileWidth; x++)
                {
                    var colour = GradCamPicture.Turbo(cam.Upsampled.Data[(i * height + y / scale) * width + x / scale]);
                    int at = (y * total + i * (tileWidth + Gap) + x) * 3;
                    (hwc[at], hwc[at + 1], hwc[at + 2]) = (colour.Red, colour.Green, colour.Blue);
                }
        return new Picture(ImageLoader.EncodePng(hwc, total, tileHeight));
    }
}
