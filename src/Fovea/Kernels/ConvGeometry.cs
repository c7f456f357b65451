namespace Fovea.Kernels;

/// <summary>
/// The sizes of a 2-D convolution over one NHWC image: input, kernel, strides and zero padding on each side.
/// Output pixel (oh, ow) reads input rows oh·StrideHeight − PadTop + kh and columns ow·StrideWidth − PadLeft + kw.
/// Build it with <see cref="Valid"/> or <see cref="Same"/> (Keras's paddings) or <see cref="Padded"/>, which check it.
/// </summary>
public readonly record struct ConvGeometry(int Height, int Width, int InChannels, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadTop, int PadLeft, int PadBottom, int PadRight)
{
    /// <summary>Output rows: how many kernel positions, StrideHeight apart, fit in the padded input.</summary>
    public int OutHeight => StrideHeight > 0 ? (Height + PadTop + PadBottom - KernelHeight) / StrideHeight + 1 : 0;
    /// <summary>Output columns: how many kernel positions, StrideWidth apart, fit in the padded input.</summary>
    public int OutWidth => StrideWidth > 0 ? (Width + PadLeft + PadRight - KernelWidth) / StrideWidth + 1 : 0;
    /// <summary>Columns of the im2col matrix: one per kernel tap and input channel, ordered (kh, kw, cin) like the kernel.</summary>
    public int PatchSize => KernelHeight * KernelWidth * InChannels;
    /// <summary>Output pixels per image: OutHeight × OutWidth.</summary>
    public int OutPixels => OutHeight * OutWidth;
    /// <summary>Floats per input image: Height × Width × InChannels.</summary>
    public int InputSize => Height * Width * InChannels;

    /// <summary>A 1×1 kernel at stride 1 without padding: the NHWC input already is the im2col matrix.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
                               && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

    /// <summary>Keras's 'valid': no padding; out = ⌊(in − k) / s⌋ + 1.</summary>
    public static ConvGeometry Valid(int height, int width, int inChannels, int kernelHeight, int kernelWidth,
                                     int strideHeight = 1, int strideWidth = 1) =>
        Padded(height, width, inChannels, kernelHeight, kernelWidth, strideHeight, strideWidth, 0, 0, 0, 0);

    /// <summary>
    /// Keras's (TensorFlow's) 'same': out = ⌈in / s⌉ and total pad = max((out − 1)·s + k − in, 0) per axis, of which
    /// the odd one out goes at the bottom/right (so a 2×2 kernel at stride 1 pads only the bottom and right).
    /// </summary>
    public static ConvGeometry Same(int height, int width, int inChannels, int kernelHeight, int kernelWidth,
                                    int strideHeight = 1, int strideWidth = 1)
    {
        CheckPositive(height, nameof(height));
        CheckPositive(width, nameof(width));
        CheckPositive(kernelHeight, nameof(kernelHeight));
        CheckPositive(kernelWidth, nameof(kernelWidth));
        CheckPositive(strideHeight, nameof(strideHeight));
        CheckPositive(strideWidth, nameof(strideWidth));
        int padH = SamePad(height, kernelHeight, strideHeight), padW = SamePad(width, kernelWidth, strideWidth);
        return Padded(height, width, inChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
                      padH / 2, padW / 2, padH - padH / 2, padW - padW / 2);
    }

    /// <summary>Any strides and four-sided zero padding; throws, naming the argument, unless the output has at least one pixel.</summary>
    public static ConvGeometry Padded(int height, int width, int inChannels, int kernelHeight, int kernelWidth,
                                      int strideHeight, int strideWidth, int padTop, int padLeft, int padBottom, int padRight)
    {
        var g = new ConvGeometry(height, width, inChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
                                 padTop, padLeft, padBottom, padRight);
        g.Validate();
        return g;
    }

    /// <summary>Throws unless every size is positive, every pad non-negative and the kernel fits the padded input.</summary>
    public void Validate()
    {
        CheckPositive(Height, "height");
        CheckPositive(Width, "width");
        CheckPositive(InChannels, "inChannels");
        CheckPositive(KernelHeight, "kernelHeight");
        CheckPositive(KernelWidth, "kernelWidth");
        CheckPositive(StrideHeight, "strideHeight");
        CheckPositive(StrideWidth, "strideWidth");
        CheckNonNegative(PadTop, "padTop");
        CheckNonNegative(PadLeft, "padLeft");
        CheckNonNegative(PadBottom, "padBottom");
        CheckNonNegative(PadRight, "padRight");
        if (Height + PadTop + PadBottom < KernelHeight)
            throw new ArgumentException($"kernelHeight must be at most the padded height {Height + PadTop + PadBottom}; got {KernelHeight}", "kernelHeight");
        if (Width + PadLeft + PadRight < KernelWidth)
            throw new ArgumentException($"kernelWidth must be at most the padded width {Width + PadLeft + PadRight}; got {KernelWidth}", "kernelWidth");
    }

    private static int SamePad(int size, int kernel, int stride)
    {
        int outSize = (size + stride - 1) / stride;
        return Math.Max((outSize - 1) * stride + kernel - size, 0);
    }

    private static void CheckPositive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, $"{name} must be positive; got {value}");
    }

    private static void CheckNonNegative(int value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, $"{name} must be non-negative; got {value}");
    }
}
