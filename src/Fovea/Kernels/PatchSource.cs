using System.Runtime.CompilerServices;

namespace Fovea.Kernels;

/// <summary>
/// The patch matrix of a convolution, described instead of stored: row i is output pixel i's patch, read in place
/// from NHWC images that already carry their padding. Depth p = (kh·KW + kw)·C + c sits at
/// kh·<see cref="RowFloats"/> + (kw·C + c) from the pixel's corner, so each kernel row is one contiguous run of
/// <see cref="Segment"/> floats.
/// </summary>
internal readonly unsafe struct PatchSource
{
    /// <summary>The first image (padded), or null when A is an ordinary matrix.</summary>
    public readonly float* Images;
    public readonly int OutWidth, OutPixels, StrideHeight, StrideWidth, Channels, Segment;
    public readonly nint ImageFloats, RowFloats;
    /// <summary>The unpadded input's height, the top padding and the kernel's height: which kernel rows of an output
    /// row read only padding (<see cref="PaddedKernelRows"/>).</summary>
    public readonly int InHeight, PadTop, KernelHeight;

    /// <param name="images">Padded images: <paramref name="g"/>'s height and width plus its padding.</param>
    /// <param name="g">The convolution's geometry.</param>
    public PatchSource(float* images, in ConvGeometry g)
    {
        Images = images;
        OutWidth = g.OutWidth;
        OutPixels = g.OutPixels;
        StrideHeight = g.StrideHeight;
        StrideWidth = g.StrideWidth;
        Channels = g.InChannels;
        Segment = g.KernelWidth * g.InChannels;
        RowFloats = (nint)(g.Width + g.PadLeft + g.PadRight) * g.InChannels;
        ImageFloats = (g.Height + g.PadTop + g.PadBottom) * RowFloats;
        InHeight = g.Height;
        PadTop = g.PadTop;
        KernelHeight = g.KernelHeight;
    }

    /// <summary>Bit kh is set when kernel row kh of output row <paramref name="oh"/> reads only the zero border.</summary>
    public int PaddedKernelRows(int oh)
    {
        int mask = 0;
        for (int kh = 0; kh < KernelHeight && kh < 31; kh++)
            if ((uint)(oh * StrideHeight + kh - PadTop) >= (uint)InHeight) mask |= 1 << kh;
        return mask;
    }

    public unsafe bool IsSet => Images != null;

    /// <summary>Where tap <paramref name="r"/> (depth (kh·KW + kw)·C + c) sits from a patch's corner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint TapOffset(int r)
    {
        int kh = r / Segment;
        return kh * RowFloats + (r - kh * Segment);
    }

    /// <summary>corners[p] = the offset from <see cref="Images"/> of row first + p's patch, for p in [0, count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Corners(int first, int count, nint* corners)
    {
        int image = first / OutPixels, rest = first - image * OutPixels;
        int oh = rest / OutWidth, ow = rest - oh * OutWidth, outHeight = OutPixels / OutWidth;
        nint step = (nint)StrideWidth * Channels, down = StrideHeight * RowFloats;
        nint rowStart = image * ImageFloats + oh * down;
        for (int p = 0; p < count; p++)
        {
            corners[p] = rowStart + ow * step;
            if (++ow < OutWidth) continue;
            ow = 0;
            if (++oh < outHeight) rowStart += down;
            else
            {
                oh = 0;
                image++;
                rowStart = image * ImageFloats;
            }
        }
    }

    /// <summary>The corner of row <paramref name="i"/>'s patch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int i)
    {
        int image = i / OutPixels, pixel = i - image * OutPixels;
        int oh = pixel / OutWidth, ow = pixel - oh * OutWidth;
        return Images + image * ImageFloats + oh * StrideHeight * RowFloats + (nint)ow * StrideWidth * Channels;
    }
}
