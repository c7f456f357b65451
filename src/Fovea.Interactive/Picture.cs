using SkiaSharp;

namespace Fovea.Interactive;

/// <summary>
/// A PNG to show in a notebook: a cell that ends with a picture displays it inline (<c>image/png</c>), which Jupyter,
/// VS Code and code hosts all render and which <c>jupyter nbconvert</c> keeps in the saved notebook.
/// </summary>
public sealed class Picture
{
    /// <summary>Wraps PNG bytes, as Fovea.Visualization's <c>ImageGrid</c> and <c>Charts</c> return them.</summary>
    /// <exception cref="ArgumentException">The bytes are not a PNG.</exception>
    public Picture(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        using var codec = SKCodec.Create(new SKMemoryStream(png));
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Png)
            throw new ArgumentException($"png must hold a PNG image; got {png.Length} bytes that Skia does not read as one", nameof(png));
        Png = png;
        Width = codec.Info.Width;
        Height = codec.Info.Height;
    }

    /// <summary>The encoded PNG.</summary>
    public byte[] Png { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pictures side by side, top-aligned, on white: the loss and accuracy charts of one run, say.</summary>
    public static Picture Beside(params Picture[] pictures)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        if (pictures.Length == 0) throw new ArgumentException("pictures must not be empty; got 0", nameof(pictures));
        var info = new SKImageInfo(pictures.Sum(p => p.Width), pictures.Max(p => p.Height), SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            int left = 0;
            foreach (Picture picture in pictures)
            {
                using SKImage image = SKImage.FromEncodedData(picture.Png);
                canvas.DrawImage(image, left, 0);
                left += picture.Width;
            }
        }
        return new Picture(Encode(bitmap));
    }

    /// <summary>The pictures one under another, left-aligned, on white: several Grad-CAM explanations, say.</summary>
    public static Picture Below(params Picture[] pictures)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        if (pictures.Length == 0) throw new ArgumentException("pictures must not be empty; got 0", nameof(pictures));
        var info = new SKImageInfo(pictures.Max(p => p.Width), pictures.Sum(p => p.Height), SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            int top = 0;
            foreach (Picture picture in pictures)
            {
                using SKImage image = SKImage.FromEncodedData(picture.Png);
                canvas.DrawImage(image, 0, top);
                top += picture.Height;
            }
        }
        return new Picture(Encode(bitmap));
    }

    /// <summary>Base64 of the PNG: how Jupyter's <c>image/png</c> output carries it.</summary>
    public string ToBase64() => Convert.ToBase64String(Png);

    /// <summary><c>Picture 900x540 (41,230 bytes of PNG)</c>: what a text-only front end shows.</summary>
    public override string ToString() => $"Picture {Width}x{Height} ({Png.Length:N0} bytes of PNG)";

    internal static byte[] Encode(SKBitmap bitmap)
    {
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"Skia could not encode a {bitmap.Width}x{bitmap.Height} {bitmap.ColorType} bitmap as PNG");
        return data.ToArray();
    }
}
