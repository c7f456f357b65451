namespace Fovea;

/// <summary>Which passes may run 3×3 convolutions by Winograd (<see cref="Engine.Winograd"/>): F(2×2, 3×3), and for
/// inference's forward pass F(4×4, 3×3) where it pays.</summary>
public enum WinogradUse
{
    /// <summary>im2col + SGEMM everywhere.</summary>
    Never,
    /// <summary>Forward passes outside training (predict, evaluate, serving); training keeps im2col's rounding.</summary>
    Inference,
    /// <summary>Training too, by F(2×2, 3×3): forward, input gradient and kernel gradient (what a recipe with
    /// a recipe's <see cref="Training.Recipe.TrainingWinograd"/> may set for its runs).</summary>
    Always,
    /// <summary>Training by F(4×4, 3×3) where <see cref="Kernels.Convolution.PrefersWinogradF4Training"/> says so
    /// (1.78× fewer multiplies than F(2×2, 3×3) on 7×7 and 15×15 maps), F(2×2, 3×3) elsewhere: forward, input gradient
    /// and kernel gradient. Its sums sit a few times further from the exact ones than F(2×2)'s.</summary>
    AlwaysF4,
    /// <summary>As <see cref="AlwaysF4"/> in the forward pass and the input gradient; the kernel gradient by
    /// F(2×2, 3×3), whose sums of many images' products sit nearer the exact ones.</summary>
    AlwaysF4Forward,
}
