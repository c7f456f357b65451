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
}
