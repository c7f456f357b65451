using System.Numerics;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// Max pooling of one NHWC image over windows of ph × pw at strides sh × sw ('valid': oh × ow windows), forward with
/// and without the argmax, the backward gather, and the scalar reference the vector forms are tested against.
/// </summary>
internal static partial class MaxPool
{
    /// <summary>
    /// out[oh, ow, c] = max over the window of in[...]; argmax[...] = index of that input within its image.
    /// Ties go to the first maximum in row-major window order, as in TensorFlow. NHWC keeps each pixel's channels
    /// contiguous, so whole channel vectors are compared at once (<see cref="Vector{T}"/>: the JIT picks the width).
    /// </summary>
    internal static unsafe void PoolImage(Span<float> output, Span<int> argmax, ReadOnlySpan<float> input,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        if (oh <= 0 || ow <= 0 || c <= 0) return;
        long reach = ((long)((oh - 1) * sh + ph - 1) * w + (long)(ow - 1) * sw + pw) * c, outputs = (long)oh * ow * c;
        if (reach > input.Length || reach > (long)h * w * c || outputs > output.Length || outputs > argmax.Length)
            throw new ArgumentException($"pooling {oh}×{ow}×{c} reads {reach} input floats and writes {outputs}; got {input.Length}, {output.Length} and {argmax.Length}");
        var lanes = LaneOffsets();
        // Through pointers: a span slice per load cost the pools of airbench94's training about half their time.
        fixed (float* pin = input, pout = output)
        fixed (int* pidx = argmax)
        {
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    nint at = ((nint)y * ow + x) * c;
                    PoolPixelWithIndex(pout + at, pidx + at, pin, (y * sh * w + x * sw) * c, w, c, ph, pw, lanes);
                }
        }
    }

    /// <summary><see cref="PoolImage"/>'s output pixel: the window's first input, then each later one (row-major)
    /// where greater, with its index in the image.</summary>
    private static unsafe void PoolPixelWithIndex(float* o, int* index, float* image, int first, int w, int c, int ph, int pw, Vector<int> lanes)
    {
        int ch = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; ch <= c - 16; ch += 16)
            {
                var best = Vector512.Load(image + first + ch);
                var idx = Vector512.Create(first + ch) + Lanes512;
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        int at = first + (dy * w + dx) * c + ch;
                        var v = Vector512.Load(image + at);
                        var greater = Vector512.GreaterThan(v, best);
                        best = Vector512.ConditionalSelect(greater, v, best);
                        idx = Vector512.ConditionalSelect(greater.AsInt32(), Vector512.Create(at) + Lanes512, idx);
                    }
                best.Store(o + ch);
                idx.Store(index + ch);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; ch <= c - Vector<float>.Count; ch += Vector<float>.Count)
            {
                var best = *(Vector<float>*)(image + first + ch);
                var idx = new Vector<int>(first + ch) + lanes;
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        int at = first + (dy * w + dx) * c + ch;
                        var v = *(Vector<float>*)(image + at);
                        var greater = Vector.GreaterThan(v, best);
                        best = Vector.ConditionalSelect(greater, v, best);
                        idx = Vector.ConditionalSelect(greater, new Vector<int>(at) + lanes, idx);
                    }
                *(Vector<float>*)(o + ch) = best;
                *(Vector<int>*)(index + ch) = idx;
            }
        }
        for (; ch < c; ch++)
        {
            float best = image[first + ch];
            int idx = first + ch;
            for (int dy = 0; dy < ph; dy++)
                for (int dx = 0; dx < pw; dx++)
                {
                    int at = first + (dy * w + dx) * c + ch;
                    if (image[at] > best) (best, idx) = (image[at], at);
                }
            o[ch] = best;
            index[ch] = idx;
        }
    }

    /// <summary>
    /// The backward pass for windows that do not overlap (stride ≥ pool size), written as a gather: every input
    /// element is written once, with its window's gradient where it was the argmax and zero elsewhere, instead of
    /// clearing the whole input gradient and scattering into it. The same values as the scatter, to the bit: its
    /// 0 + g is reproduced as g + 0 (which turns −0 into +0, as the scatter did). Where the windows tile the image but
    /// for its last rows or columns (a 31-pixel side pooled by 2), only those are cleared.
    /// </summary>
    internal static unsafe void UnpoolImage(Span<float> dIn, ReadOnlySpan<float> dOut, ReadOnlySpan<int> argmax,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        if (sh < ph || sw < pw) throw new ArgumentException($"the gather needs windows that do not overlap; got {ph}×{pw} at strides {sh}×{sw}");
        if (dIn.Length < h * w * c || (long)oh * ow * c > Math.Min(dOut.Length, argmax.Length) || (oh - 1) * sh + ph > h || (ow - 1) * sw + pw > w)
            throw new ArgumentException($"unpooling {oh}×{ow}×{c} into {h}×{w}: got {dIn.Length}, {dOut.Length} and {argmax.Length} floats");
        if (sh > ph || sw > pw) dIn[..(h * w * c)].Clear(); // gaps between the windows
        else
        {
            // Rows and columns no window reads get zero; the windows write the rest.
            int coveredRows = oh * sh, coveredColumns = ow * sw;
            if (coveredRows < h) dIn[(coveredRows * w * c)..(h * w * c)].Clear();
            if (coveredColumns < w)
                for (int y = 0; y < coveredRows; y++) dIn.Slice((y * w + coveredColumns) * c, (w - coveredColumns) * c).Clear();
        }
        var lanes = LaneOffsets();
        fixed (float* pin = dIn, pout = dOut)
        fixed (int* pidx = argmax)
        {
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    int outAt = (y * ow + x) * c;
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            int at = ((y * sh + dy) * w + x * sw + dx) * c;
                            int ch = 0;
                            if (Vector512.IsHardwareAccelerated)
                            {
                                for (; ch <= c - 16; ch += 16)
                                {
                                    var hit = Vector512.Equals(Vector512.Load(pidx + outAt + ch), Vector512.Create(at + ch) + Lanes512);
                                    var g = Vector512.Load(pout + outAt + ch) + Vector512<float>.Zero;
                                    Vector512.ConditionalSelect(hit.AsSingle(), g, Vector512<float>.Zero).Store(pin + at + ch);
                                }
                            }
                            if (Vector.IsHardwareAccelerated)
                            {
                                for (; ch <= c - Vector<float>.Count; ch += Vector<float>.Count)
                                {
                                    var hit = Vector.Equals(*(Vector<int>*)(pidx + outAt + ch), new Vector<int>(at + ch) + lanes);
                                    var g = *(Vector<float>*)(pout + outAt + ch) + Vector<float>.Zero;
                                    *(Vector<float>*)(pin + at + ch) = Vector.ConditionalSelect(Vector.AsVectorSingle(hit), g, Vector<float>.Zero);
                                }
                            }
                            for (; ch < c; ch++)
                                pin[at + ch] = pidx[outAt + ch] == at + ch ? pout[outAt + ch] + 0f : 0f;
                        }
                }
        }
    }

    /// <summary>
    /// <see cref="PoolImage"/> without the argmax, for inference: the same comparisons in the same order, so the same
    /// values (a NaN is kept only where it comes first in its window, as there), at half the memory traffic. Output
    /// rows [<paramref name="y0"/>, <paramref name="y1"/>) only. Through pointers, 16 channels at a time where
    /// 512-bit vectors run: with a span slice per load, ResNet-18's stem pool (3×3 at 2 over 114×114×64) took 270 µs.
    /// </summary>
    internal static unsafe void PoolImageMax(Span<float> output, ReadOnlySpan<float> input,
        int w, int c, int ph, int pw, int sh, int sw, int oh, int ow, int y0 = 0, int y1 = -1)
    {
        if (y1 < 0) y1 = oh;
        if (y1 <= y0 || ow <= 0 || c <= 0) return;
        long reach = ((long)((y1 - 1) * sh + ph - 1) * w + (long)(ow - 1) * sw + pw) * c;
        if (y0 < 0 || reach > input.Length || (long)y1 * ow * c > output.Length)
            throw new ArgumentException($"pooling rows [{y0}, {y1}) of {ow}×{c} reads {reach} input floats and writes {(long)y1 * ow * c}; got {input.Length} and {output.Length}");
        fixed (float* pin = input, pout = output)
        {
            for (int y = y0; y < y1; y++)
                for (int x = 0; x < ow; x++)
                    PoolPixel(pout + ((nint)y * ow + x) * c, pin + ((nint)y * sh * w + (nint)x * sw) * c, w, c, ph, pw);
        }
    }

    /// <summary>One output pixel's channels: the window's first input, then each later one (row-major) where greater.</summary>
    private static unsafe void PoolPixel(float* o, float* first, int w, int c, int ph, int pw)
    {
        int ch = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; ch <= c - Vector512<float>.Count; ch += Vector512<float>.Count)
            {
                var best = Vector512.Load(first + ch);
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        var v = Vector512.Load(first + ((nint)dy * w + dx) * c + ch);
                        best = Vector512.ConditionalSelect(Vector512.GreaterThan(v, best), v, best);
                    }
                best.Store(o + ch);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; ch <= c - Vector<float>.Count; ch += Vector<float>.Count)
            {
                var best = *(Vector<float>*)(first + ch);
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        if (dy == 0 && dx == 0) continue;
                        var v = *(Vector<float>*)(first + ((nint)dy * w + dx) * c + ch);
                        best = Vector.ConditionalSelect(Vector.GreaterThan(v, best), v, best);
                    }
                *(Vector<float>*)(o + ch) = best;
            }
        }
        for (; ch < c; ch++)
        {
            float best = first[ch];
            for (int dy = 0; dy < ph; dy++)
                for (int dx = 0; dx < pw; dx++)
                {
                    float v = first[((nint)dy * w + dx) * c + ch];
                    if (v > best) best = v;
                }
            o[ch] = best;
        }
    }

    /// <summary>The scalar definition the vectorised <see cref="PoolImage"/> is tested against.</summary>
    internal static void PoolImageReference(Span<float> output, Span<int> argmax, ReadOnlySpan<float> input,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (y * ow + x) * c + ch;
                    output[o] = float.NegativeInfinity;
                    argmax[o] = -1;
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            int at = ((y * sh + dy) * w + x * sw + dx) * c + ch;
                            if (argmax[o] < 0 || input[at] > output[o]) (output[o], argmax[o]) = (input[at], at);
                        }
                }
    }

    private static readonly Vector512<int> Lanes512 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    private static Vector<int> LaneOffsets()
    {
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = i;
        return new Vector<int>(lanes);
    }
}
