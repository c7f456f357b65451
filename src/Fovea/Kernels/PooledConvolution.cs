namespace Fovea.Kernels;

/// <summary>
/// Inference's convolution → max-pool (→ GELU) in one pass, chunk by chunk: each chunk of images is convolved into a
/// scratch of about 1 MB and pooled from the core's L2 while it is still there, instead of the whole convolution
/// output being written out and read back (for the tutorial CNN's first layer, 29 MB per batch of 256). The same
/// values as the convolution and the pool one after the other: each output of a convolution is the same dot product
/// whatever the batch it is computed in.
/// </summary>
internal sealed class PooledConvolution(Convolution convolution, MaxPoolPass pool)
{
    /// <summary>Floats of convolution output per chunk: about 1 MB.</summary>
    private const int ChunkFloats = 1 << 18;

    private float[] _chunk = [];

    /// <summary>
    /// output[B, ph, pw, filters] = maxpool(conv(input[B, H, W, cin], kernel) + bias (+ relu)), then GELU when
    /// <paramref name="gelu"/>. <paramref name="kernelUnchanged"/>, <paramref name="allowWinograd"/>: as
    /// <see cref="Convolution.Forward"/> takes them, for the whole batch.
    /// </summary>
    public void Forward(float[] output, float[] input, ReadOnlyMemory<float> kernel, ReadOnlyMemory<float> bias, bool relu,
        int batch, bool kernelUnchanged, bool allowWinograd, bool gelu)
    {
        int inSize = convolution.Geometry.InputSize, convSize = convolution.OutputSize;
        int chunk = Math.Clamp(ChunkFloats / convSize, 1, Math.Max(batch, 1));
        if (_chunk.Length < chunk * convSize) _chunk = new float[chunk * convSize];
        for (int first = 0; first < batch; first += chunk)
        {
            int images = Math.Min(chunk, batch - first);
            convolution.Forward(_chunk.AsMemory(0, images * convSize), input.AsMemory(first * inSize, images * inSize),
                kernel, bias, relu, images, kernelUnchanged: kernelUnchanged || first > 0, training: false,
                allowWinograd: allowWinograd);
            pool.Infer(output, first, _chunk, images, gelu);
        }
    }
}
