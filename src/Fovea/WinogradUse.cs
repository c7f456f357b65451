namespace Fovea;

/// <summary>Which passes may run 3×3 convolutions by Winograd F(2×2, 3×3) (<see cref="Engine.Winograd"/>).</summary>
public enum WinogradUse
{
    /// <summary>im2col + SGEMM everywhere.</summary>
    Never,
    /// <summary>Forward passes outside training (predict, evaluate, serving); training keeps im2col's rounding.</summary>
    Inference,
    /// <summary>Training too: forward, input gradient and kernel gradient.</summary>
    Always,
}
