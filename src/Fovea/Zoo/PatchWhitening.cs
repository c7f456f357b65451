using Fovea.Data;
using Fovea.Layers;
using MathNet.Numerics.LinearAlgebra;

namespace Fovea.Zoo;

/// <summary>
/// airbench's whitening layer: a convolution whose filters are the eigenvectors of the (uncentred) covariance of the
/// training images' kh×kw patches, each scaled by 1/√(eigenvalue + ε), in ± pairs, so that its output channels are
/// decorrelated with unit variance. The first layer then sees whitened patches from the first step.
/// </summary>
public static class PatchWhitening
{
    /// <summary>
    /// Sets <paramref name="conv"/>'s kernel (and zeroes its bias) from the first <paramref name="count"/> images,
    /// normalised as the model's <paramref name="normalization"/> does. The layer must have 2·kh·kw·cin filters.
    /// </summary>
    public static void Initialize(Conv2D conv, Normalization? normalization, ImageSet images, int count = 5000, double epsilon = 5e-4)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(images);
        if (!conv.IsBuilt) throw new ArgumentException("the convolution must be built", nameof(conv));
        var (kh, kw) = conv.KernelSize;
        int c = images.Channels, patch = kh * kw * c;
        if (conv.Filters != 2 * patch)
            throw new ArgumentException($"a whitening convolution over {kh}x{kw}x{c} patches needs {2 * patch} filters; got {conv.Filters}", nameof(conv));
        if (conv.InputShape[2] != c) throw new ArgumentException($"the images have {c} channels; the convolution takes {conv.InputShape[2]}", nameof(images));
        count = Math.Min(count, images.Count);
        if (count == 0) throw new ArgumentException("whitening needs at least one image", nameof(images));

        var (scale, shift) = ChannelTransform(normalization, c);
        int h = images.Height, w = images.Width;
        var cov = new double[patch, patch];
        var v = new double[patch];
        var img = new double[h * w * c];
        for (int n = 0; n < count; n++)
        {
            var pixels = images[n];
            for (int i = 0; i < img.Length; i++) img[i] = pixels[i] / 255.0 * scale[i % c] + shift[i % c];
            for (int y = 0; y + kh <= h; y++)
                for (int x = 0; x + kw <= w; x++)
                {
                    // The patch in the kernel's own order (kh, kw, cin), so eigenvectors are kernel columns as they are.
                    for (int i = 0, k = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                            for (int ch = 0; ch < c; ch++) v[k++] = img[((y + i) * w + x + j) * c + ch];
                    for (int a = 0; a < patch; a++)
                    {
                        double va = v[a];
                        for (int b = a; b < patch; b++) cov[a, b] += va * v[b];
                    }
                }
        }
        long patches = (long)count * (h - kh + 1) * (w - kw + 1);
        var matrix = Matrix<double>.Build.Dense(patch, patch, (a, b) => (a <= b ? cov[a, b] : cov[b, a]) / patches);
        var evd = matrix.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(e => e.Real).ToArray();
        var vectors = evd.EigenVectors;
        // Descending eigenvalues: the strongest patch directions come first, as in the recipe.
        var order = Enumerable.Range(0, patch).OrderByDescending(i => values[i]).ToArray();
        var kernel = conv.Weights.Single(p => p.Name == "kernel").Value;
        int filters = conv.Filters;
        for (int f = 0; f < patch; f++)
        {
            int e = order[f];
            double s = 1 / Math.Sqrt(Math.Max(values[e], 0) + epsilon);
            for (int k = 0; k < patch; k++)
            {
                float value = (float)(vectors[k, e] * s);
                kernel[k * filters + f] = value;
                kernel[k * filters + f + patch] = -value;
            }
        }
        conv.Weights.SingleOrDefault(p => p.Name == "bias")?.Value.Clear();
    }

    private static (double[] Scale, double[] Shift) ChannelTransform(Normalization? normalization, int channels)
    {
        var scale = Enumerable.Repeat(1.0, channels).ToArray();
        var shift = new double[channels];
        if (normalization is null) return (scale, shift);
        var mean = normalization.Weights.Single(p => p.Name == "mean").Value;
        var variance = normalization.Weights.Single(p => p.Name == "variance").Value;
        for (int k = 0; k < channels; k++)
        {
            scale[k] = 1 / Math.Sqrt(variance[k]);
            shift[k] = -mean[k] * scale[k];
        }
        return (scale, shift);
    }

    /// <summary>Per-channel mean and variance of pixels in [0, 1] over the first <paramref name="count"/> images.</summary>
    public static (float[] Mean, float[] Variance) ChannelStatistics(ImageSet images, int count = 5000)
    {
        ArgumentNullException.ThrowIfNull(images);
        count = Math.Min(count, images.Count);
        int c = images.Channels;
        var sum = new double[c];
        var squares = new double[c];
        long pixels = 0;
        for (int n = 0; n < count; n++)
        {
            var img = images[n];
            for (int i = 0; i < img.Length; i++)
            {
                double x = img[i] / 255.0;
                sum[i % c] += x;
                squares[i % c] += x * x;
            }
            pixels += img.Length / c;
        }
        var mean = sum.Select(s => (float)(s / Math.Max(pixels, 1))).ToArray();
        var variance = squares.Select((q, k) => (float)Math.Max(q / Math.Max(pixels, 1) - (double)mean[k] * mean[k], 1e-6)).ToArray();
        return (mean, variance);
    }
}
