using System.Numerics;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>Inference's max-pool over an image with an implicit border (an imported network's ZeroPadding2D before
/// its pool), which reads the border's value where a window overhangs instead of a padded copy of the image.</summary>
internal static partial class MaxPool
{
    /// <summary>
    /// <see cref="PoolImageMax"/> over <paramref name="input"/> (h × w × c) as if bordered by <paramref name="padTop"/>
    /// rows and <paramref name="padLeft"/> columns (and as many below and to the right as the output reaches) of
    /// <paramref name="value"/>: the same comparisons in the same order as on the padded copy, border cells included,
    /// so the same bits whatever the input (a NaN first in its window, a −0 against a zero border). Output rows
    /// [<paramref name="y0"/>, <paramref name="y1"/>) only.
    /// </summary>
    internal static unsafe void PoolImageMaxPadded(Span<float> output, ReadOnlySpan<float> input, int h, int w, int c,
        int ph, int pw, int sh, int sw, int oh, int ow, int padTop, int padLeft, float value, int y0, int y1)
    {
        if (y1 <= y0 || ow <= 0 || c <= 0) return;
        if (y0 < 0 || (long)h * w * c > input.Length || (long)y1 * ow * c > output.Length)
            throw new ArgumentException($"pooling rows [{y0}, {y1}) of {ow}×{c} from {h}×{w}×{c} writes {(long)y1 * ow * c}; got {input.Length} input and {output.Length} output floats");
        fixed (float* pin = input, pout = output)
        {
            for (int y = y0; y < y1; y++)
            {
                int iy = y * sh - padTop;
                bool rowsInside = iy >= 0 && iy + ph <= h;
                for (int x = 0; x < ow; x++)
                {
                    int ix = x * sw - padLeft;
                    float* o = pout + ((nint)y * ow + x) * c;
                    if (rowsInside && ix >= 0 && ix + pw <= w) PoolPixel(o, pin + ((nint)iy * w + ix) * c, w, c, ph, pw);
                    else PoolBorderPixel(o, pin, h, w, c, ph, pw, iy, ix, value);
                }
            }
        }
    }

    /// <summary>One output pixel whose window overhangs the image at (<paramref name="iy"/>, <paramref name="ix"/>):
    /// <see cref="PoolPixel"/>'s order, each border cell read as <paramref name="value"/>.</summary>
    private static unsafe void PoolBorderPixel(float* o, float* image, int h, int w, int c, int ph, int pw, int iy, int ix, float value)
    {
        int ch = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var fill = Vector512.Create(value);
            for (; ch <= c - Vector512<float>.Count; ch += Vector512<float>.Count)
            {
                var best = Inside(0, 0) ? Vector512.Load(At(0, 0) + ch) : fill;
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        var v = Inside(dy, dx) ? Vector512.Load(At(dy, dx) + ch) : fill;
                        best = Vector512.ConditionalSelect(Vector512.GreaterThan(v, best), v, best);
                    }
                best.Store(o + ch);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            var fill = new Vector<float>(value);
            for (; ch <= c - Vector<float>.Count; ch += Vector<float>.Count)
            {
                var best = Inside(0, 0) ? *(Vector<float>*)(At(0, 0) + ch) : fill;
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        var v = Inside(dy, dx) ? *(Vector<float>*)(At(dy, dx) + ch) : fill;
                        best = Vector.ConditionalSelect(Vector.GreaterThan(v, best), v, best);
                    }
                *(Vector<float>*)(o + ch) = best;
            }
        }
        for (; ch < c; ch++)
        {
            float best = Inside(0, 0) ? At(0, 0)[ch] : value;
            for (int dy = 0; dy < ph; dy++)
                for (int dx = 0; dx < pw; dx++)
                {
                    float v = Inside(dy, dx) ? At(dy, dx)[ch] : value;
                    if (v > best) best = v;
                }
            o[ch] = best;
        }

        bool Inside(int dy, int dx) => (uint)(iy + dy) < (uint)h && (uint)(ix + dx) < (uint)w;
        float* At(int dy, int dx) => image + ((nint)(iy + dy) * w + ix + dx) * c;
    }
}
