namespace Fovea;

/// <summary>
/// xoshiro256** random numbers. Ours rather than <see cref="Random"/> because its whole state is four numbers
/// that a checkpoint can save and restore, and its sequence is fixed by the algorithm, not by a .NET version.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose state is expanded from <paramref name="seed"/> with SplitMix64, as xoshiro's authors recommend.</summary>
    public Rng(ulong seed) => Seed(seed);

    private void Seed(ulong seed)
    {
        // SplitMix64 spreads any seed (even 0) over the 256-bit state, as the xoshiro authors recommend.
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private Rng(ulong[] state) => (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);

    /// <summary>An independent stream for one purpose of one run (e.g. the shuffle of epoch 3).</summary>
    public static Rng For(long seed, string purpose, long index = 0) => new(StreamSeed(seed, purpose, index));

    /// <summary>Puts this generator where <see cref="For"/> would start it, without allocating: for per-sample streams
    /// drawn in a hot loop (data augmentation draws one per image of every batch).</summary>
    public void Reset(long seed, string purpose, long index = 0) => Seed(StreamSeed(seed, purpose, index));

    private static ulong StreamSeed(long seed, string purpose, long index)
    {
        ulong h = 14695981039346656037UL; // FNV-1a over the purpose keeps streams apart without a registry of ids
        foreach (char c in purpose) h = (h ^ c) * 1099511628211UL;
        return unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ h ^ (ulong)index * 0xD1B54A32D192ED03UL);
    }

    /// <summary>The four numbers of the state, for a checkpoint; <see cref="FromState"/> continues the sequence from them.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>A generator that continues from a state <see cref="GetState"/> returned: four numbers, not all zero.</summary>
    public static Rng FromState(ulong[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("state must be four numbers, not all zero", nameof(state));
        return new Rng(state);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), with all 24 bits of float precision.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"n must be positive; got {n}");
        ulong bound = (ulong)n;
        UInt128 m = (UInt128)NextUInt64() * bound;
        if ((ulong)m < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while ((ulong)m < threshold) m = (UInt128)NextUInt64() * bound;
        }
        return (int)(m >> 64);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
