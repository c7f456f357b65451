namespace Fovea.Kernels;

/// <summary>How a <see cref="Convolution"/> computes its forward pass and input gradient.</summary>
internal enum ConvolutionAlgorithm
{
    /// <summary>Winograd where <see cref="Convolution.PrefersWinograd"/> says it is faster, else im2col.</summary>
    Auto,
    /// <summary>im2col + SGEMM always.</summary>
    Im2Col,
    /// <summary>Winograd F(2×2, 3×3); only for geometries <see cref="WinogradConvolution.Supports"/>.</summary>
    Winograd,
}
