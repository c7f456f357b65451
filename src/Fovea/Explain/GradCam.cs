using Fovea.Models;

namespace Fovea.Explain;

/// <summary>
/// Grad-CAM maps of a batch of images: <see cref="Maps"/> at the layer's resolution, <see cref="Upsampled"/> at the
/// input's, both in [0, 1]; the class each map explains and the model's probabilities.
/// </summary>
/// <param name="Layer">The layer whose feature map was weighted.</param>
/// <param name="Maps">[N, h, w]: ReLU(Σ_k α_k·A_k) divided by its maximum (all zero when nothing is positive).</param>
/// <param name="Upsampled">[N, H, W]: <see cref="Maps"/> resized bilinearly to the model's input.</param>
/// <param name="Classes">Per image, the class explained.</param>
/// <param name="Probabilities">[N, classes]: the model's output, as <c>Predict</c> gives it (its temperature applied).</param>
public sealed record GradCamResult(string Layer, Tensor Maps, Tensor Upsampled, int[] Classes, Tensor Probabilities);

/// <summary>
/// Gradient-weighted class activation maps (Selvaraju et al. 2017), as Keras's Grad-CAM example and
/// pytorch-grad-cam compute them: the gradient of the class's score (the logit before a final softmax) with respect
/// to a convolutional feature map A, averaged over the map's pixels, gives each channel's weight α_k; the map is
/// ReLU(Σ_k α_k·A_k), scaled to [0, 1]. The gradient comes from the engine's own backward pass
/// (<see cref="Model.GradientOfScore"/>), run on the model as it predicts.
/// </summary>
public static class GradCam
{
    /// <summary>
    /// The maps of <paramref name="images"/> [N, input shape] for class <paramref name="classIndex"/> (default: each
    /// image's predicted class) at layer <paramref name="layer"/> (default: <see cref="DefaultLayer"/>). A layer that
    /// is not there or has no spatial map, or a class out of range, is the caller's mistake
    /// (<see cref="FoveaUsageException"/>).
    /// </summary>
    public static GradCamResult Compute(Model model, Tensor images, int? classIndex = null, string? layer = null, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        model.Build();
        IReadOnlyList<string> layers = layer is null ? DefaultLayers(model) : [layer];
        foreach (var l in layers) CheckLayer(model, l);
        int classes = model.OutputShape[^1];
        if (classIndex is { } c && (uint)c >= (uint)classes)
            throw new FoveaUsageException($"class index must be in [0, {classes}); got {c}");
        // An ensemble's map is the sum of its networks' weighted maps, each at its own last feature map, before the
        // ReLU: where the networks together find the class.
        ScoreGradient? first = null;
        float[]? sum = null;
        int n = images.Shape[0], h = 0, w = 0;
        foreach (var l in layers)
        {
            var g = model.GradientOfScore(images, l, classIndex, batchSize);
            var shape = g.Activations.Shape;
            if (first is null) (first, h, w, sum) = (g, shape[1], shape[2], new float[n * shape[1] * shape[2]]);
            else if (shape[1] != h || shape[2] != w)
                throw new FoveaUsageException($"the networks' feature maps differ in size ({h}x{w} and {shape[1]}x{shape[2]} at '{l}'); name one layer to explain");
            for (int i = 0; i < n; i++) Weigh(g, i, sum!.AsSpan(i * h * w, h * w));
        }
        var maps = new Tensor(new Shape(n, h, w), sum!);
        for (int i = 0; i < n; i++) ScaleToUnit(maps.Data.AsSpan(i * h * w, h * w));
        int height = model.InputShape[0], width = model.InputShape[1];
        var upsampled = new Tensor(new Shape(n, height, width));
        for (int i = 0; i < n; i++)
            Resize(maps.Data.AsSpan(i * h * w, h * w), h, w, upsampled.Data.AsSpan(i * height * width, height * width), height, width);
        // The backward pass's forward gives the network's own output; a calibrated model reports its tempered one, as
        // Predict does (the predicted class is the same either way).
        var probabilities = model.Temperature is null ? first!.Outputs : model.Predict(images, batchSize);
        string name = layers.Count == 1 ? layers[0] : $"{Unprefixed(layers[0])} of each of {layers.Count} networks";
        return new GradCamResult(name, maps, upsampled, first!.Classes, probabilities);
    }

    /// <summary>The maps of pictures as bytes, scaled to [0, 1] as <see cref="Model.Predict(Fovea.Data.ImageSet, int, TestTimeAugmentation)"/> feeds them.</summary>
    public static GradCamResult Compute(Model model, Fovea.Data.ImageSet images, int? classIndex = null, string? layer = null, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(images);
        var x = new Tensor(images.ImageShape.WithBatch(images.Count));
        int size = images.ImageSize;
        for (int i = 0; i < images.Count; i++)
        {
            var row = x.Data.AsSpan(i * size, size);
            System.Numerics.Tensors.TensorPrimitives.ConvertChecked<byte, float>(images[i], row);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / 255f, row);
        }
        return Compute(model, x, classIndex, layer, batchSize);
    }

    /// <summary>
    /// The last layer whose output is a spatial map (height, width, channels) larger than 1×1: the feature map the
    /// classifier's head reads, as Grad-CAM's authors and its common implementations take by default.
    /// </summary>
    public static string DefaultLayer(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        var layers = model.Layers;
        for (int i = layers.Count - 2; i >= 0; i--)
            if (IsSpatial(layers[i].OutputShape)) return layers[i].Name!;
        throw new FoveaUsageException($"model '{model.Name}' has no convolutional feature map (a layer output of height × width × channels) to explain");
    }

    /// <summary>The names of the layers Grad-CAM can weigh, in the order they run.</summary>
    public static IReadOnlyList<string> ConvolutionalLayers(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        return model.Layers.Take(model.Layers.Count - 1).Where(l => IsSpatial(l.OutputShape)).Select(l => l.Name!).ToList();
    }

    private static bool IsSpatial(Shape s) => s.Rank == 3 && (long)s[0] * s[1] > 1;

    private static void CheckLayer(Model model, string layer)
    {
        var found = model.Layers.FirstOrDefault(l => l.Name == layer);
        if (found is null)
            throw new FoveaUsageException($"model '{model.Name}' has no layer '{layer}'; convolutional layers: {string.Join(", ", ConvolutionalLayers(model))}");
        if (!IsSpatial(found.OutputShape) || ReferenceEquals(found, model.Layers[^1]))
            throw new FoveaUsageException($"layer '{layer}' is not convolutional (its output is {found.OutputShape}); Grad-CAM needs a height × width × channels map: {string.Join(", ", ConvolutionalLayers(model))}");
    }

    /// <summary>Adds image <paramref name="i"/>'s Σ_k α_k·A_k to <paramref name="map"/>, α_k = mean over pixels of dS/dA_k.</summary>
    private static void Weigh(ScoreGradient g, int i, Span<float> map)
    {
        var shape = g.Activations.Shape;
        int pixels = shape[1] * shape[2], channels = shape[3], size = pixels * channels;
        var a = g.Activations.Data.AsSpan(i * size, size);
        var grad = g.Gradients.Data.AsSpan(i * size, size);
        var alpha = new double[channels];
        for (int p = 0; p < pixels; p++)
            for (int k = 0; k < channels; k++) alpha[k] += grad[p * channels + k];
        for (int k = 0; k < channels; k++) alpha[k] /= pixels;
        for (int p = 0; p < pixels; p++)
        {
            double sum = 0;
            for (int k = 0; k < channels; k++) sum += alpha[k] * a[p * channels + k];
            map[p] += (float)sum;
        }
    }

    /// <summary>ReLU, then divided by the maximum (all zero when nothing is positive).</summary>
    private static void ScaleToUnit(Span<float> map)
    {
        float max = 0;
        for (int p = 0; p < map.Length; p++) max = Math.Max(max, map[p] = Math.Max(map[p], 0));
        if (max > 0)
            for (int p = 0; p < map.Length; p++) map[p] /= max;
    }

    /// <summary>
    /// The layers Grad-CAM weighs by default: <see cref="DefaultLayer"/>, or for an ensemble
    /// (<see cref="Ensemble.Combine"/>) each network's last feature map, so that the map explains the ensemble rather
    /// than its last network.
    /// </summary>
    public static IReadOnlyList<string> DefaultLayers(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Build();
        var layers = model.Layers;
        if (layers[^1] is not Layers.Average) return [DefaultLayer(model)];
        var found = new List<string>();
        for (int k = 1; ; k++)
        {
            string prefix = Ensemble.MemberPrefix(k);
            var last = layers.Take(layers.Count - 1).LastOrDefault(l => l.Name!.StartsWith(prefix, StringComparison.Ordinal) && IsSpatial(l.OutputShape));
            if (last is null) break;
            found.Add(last.Name!);
        }
        return found.Count >= 2 ? found : [DefaultLayer(model)];
    }

    private static string Unprefixed(string layer) =>
        layer.StartsWith("member", StringComparison.Ordinal) && layer.IndexOf('_') is > 0 and var cut ? layer[(cut + 1)..] : layer;

    /// <summary>Bilinear resize with pixel centres aligned (half-pixel offsets, edges clamped), as image libraries resize.</summary>
    public static void Resize(ReadOnlySpan<float> source, int h, int w, Span<float> target, int height, int width)
    {
        if (source.Length < h * w || target.Length < height * width)
            throw new ArgumentException($"resize needs a {h}x{w} source and a {height}x{width} target");
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Sample(y, height, h);
            for (int x = 0; x < width; x++)
            {
                var (x0, x1, fx) = Sample(x, width, w);
                float top = source[y0 * w + x0] * (1 - fx) + source[y0 * w + x1] * fx;
                float bottom = source[y1 * w + x0] * (1 - fx) + source[y1 * w + x1] * fx;
                target[y * width + x] = top * (1 - fy) + bottom * fy;
            }
        }
    }

    private static (int Low, int High, float Fraction) Sample(int i, int to, int from)
    {
        float s = Math.Clamp((i + 0.5f) * from / to - 0.5f, 0, from - 1);
        int low = (int)s;
        return (low, Math.Min(low + 1, from - 1), s - low);
    }
}
