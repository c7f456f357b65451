namespace Fovea.Layers;

/// <summary>Weight initialisers with Keras's definitions.</summary>
public static class Initializers
{
    /// <summary>
    /// Glorot (Xavier) uniform, Keras's default kernel initialiser: U(−l, l) with l = √(6 / (fan_in + fan_out)).
    /// For a conv kernel [kh, kw, cin, cout], fan_in = kh·kw·cin and fan_out = kh·kw·cout.
    /// </summary>
    public static void GlorotUniform(Span<float> weights, int fanIn, int fanOut, Rng rng)
    {
        float limit = MathF.Sqrt(6f / (fanIn + fanOut));
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (2f * rng.NextSingle() - 1f) * limit;
    }

    /// <summary>
    /// PyTorch's default for convolutions and linear layers, kaiming_uniform(a = √5): U(−b, b) with b = 1/√fan_in.
    /// The published PyTorch recipes (airbench) are tuned for it.
    /// </summary>
    public static void UniformFanIn(Span<float> weights, int fanIn, Rng rng)
    {
        float limit = 1f / MathF.Sqrt(fanIn);
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (2f * rng.NextSingle() - 1f) * limit;
    }

    /// <summary>
    /// Makes the first min(cin, filters) filters of a conv kernel [kh, kw, cin, filters] pass their input channel
    /// through unchanged (a 1 at the centre tap, zeros elsewhere), as airbench starts its convolutions (PyTorch's dirac_).
    /// </summary>
    public static void PartialIdentity(Span<float> kernel, int kh, int kw, int cin, int filters)
    {
        int ch = kh / 2, cw = kw / 2;
        for (int f = 0; f < Math.Min(cin, filters); f++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int c = 0; c < cin; c++)
                        kernel[((i * kw + j) * cin + c) * filters + f] = i == ch && j == cw && c == f ? 1f : 0f;
    }
}
