namespace Fovea.Kernels;

/// <summary>The sizes of a stride-1 2-D convolution over one NHWC image, with its zero padding.</summary>
public readonly record struct ConvGeometry(int Height, int Width, int InChannels, int KernelHeight, int KernelWidth,
    int PadTop, int PadLeft, int OutHeight, int OutWidth)
{
    /// <summary>Columns of the im2col matrix: one per kernel tap and input channel, ordered (kh, kw, cin) like the kernel.</summary>
    public int PatchSize => KernelHeight * KernelWidth * InChannels;
    public int OutPixels => OutHeight * OutWidth;
    public int InputSize => Height * Width * InChannels;
}
