namespace Fovea.Kernels;

/// <summary>The rules that choose a convolution's algorithm from its geometry alone (never from timing or the batch),
/// so that the choice, and hence the bits, are the same in every run.</summary>
public sealed partial class Convolution
{
    /// <summary>
    /// The dispatch rule: Winograd for 3×3 stride-1 convolutions (<see cref="WinogradConvolution.Supports"/>) with
    /// at least 64 input channels and 32 filters, whose 2×2 tiles waste little on partial edges (9·OH·OW multiplies
    /// of im2col per channel pair at least 1.25× Winograd's 16 per tile: not 1-pixel-high images). From the geometry
    /// alone, never from timing or the batch, so every run and every machine computes a layer the same way and an
    /// image gets the same bits in any batch. Measured at batch 256 (bench --winograd): 1.5–2× faster on the
    /// airbench and resnet9 layers with 64–256 channels, 1.1× on 3×3 images; 0.15–0.6× with 3 channels, 1.0–1.2×
    /// with 24 and 0.5–0.75× with 32 (the tutorial's second layer and resnet9's first block: its 16 GEMMs have a
    /// depth of 32), which therefore stay on im2col in inference (training: <see cref="PrefersWinogradTraining"/>).
    /// </summary>
    public static bool PrefersWinograd(in ConvGeometry geometry, int filters) =>
        WinogradConvolution.Supports(geometry) && geometry.InChannels >= 64 && filters >= 32 && MultiplySaving(geometry) >= 1.25;

    /// <summary>
    /// Training's rule for the forward pass and the input gradient: as <see cref="PrefersWinograd"/>, from
    /// <see cref="KernelOptions.WinogradTrainingMinChannels"/> input channels (64 by default; 24 on request). A training
    /// step runs each shard's convolutions on one thread, where Winograd's 16 GEMMs of depth 24 or 32 are not the
    /// handicap they are across threads: one thread, 32 images (bench --winograd --batch 32 --threads 1, Zen 5),
    /// forward 1.18–1.24× and input gradient 1.21–1.34× faster than im2col on airbench94's 31×31×24 layer and the
    /// tutorial's 15×15×32 one, 1.27× and 1.54× on resnet9's 32×32×32; at 128 images 1.04–1.15× and 1.16–1.28×. In
    /// whole steps: airbench94 1.02–1.03× at batch 256, 1.01× at 1024; the tutorial 1.00×. Their kernel gradients
    /// measured 0.86–1.05×, so <see cref="PrefersWinogradKernelGradient"/> keeps 64 channels; inference across two
    /// threads keeps <see cref="PrefersWinograd"/>'s (0.56–0.74× there).
    /// </summary>
    public static bool PrefersWinogradTraining(in ConvGeometry geometry, int filters) =>
        WinogradConvolution.Supports(geometry) && geometry.InChannels >= Engine.KernelOptions.WinogradTrainingMinChannels && filters >= 32 && MultiplySaving(geometry) >= 1.25;

    /// <summary>
    /// The kernel gradient's rule: as <see cref="PrefersWinograd"/>, with at least 1.5× fewer multiplies. It
    /// transforms two operands (the input and dY) and its GEMMs read V transposed, so it gains less: 1.15–1.5× on
    /// the airbench and resnet9 layers at batch 256, 0.9× on airbench's 3×3 images (1.27× fewer multiplies).
    /// </summary>
    public static bool PrefersWinogradKernelGradient(in ConvGeometry geometry, int filters) =>
        PrefersWinograd(geometry, filters) && MultiplySaving(geometry) >= 1.5;

    /// <summary>im2col's multiplies per channel pair (9·OH·OW) over Winograd's (16 per 2×2 tile, partial ones too).</summary>
    private static double MultiplySaving(in ConvGeometry g) =>
        9.0 * g.OutPixels / (16.0 * ((g.OutHeight + 1) / 2) * ((g.OutWidth + 1) / 2));

    /// <summary>
    /// Inference's rule for F(4×4, 3×3) over F(2×2, 3×3) on a layer <see cref="PrefersWinograd"/> takes: at least
    /// 1.5× fewer multiplies (36 per 4×4 tile against 16 per 2×2 tile, partial tiles counted whole: 1.78× on 56×56,
    /// 28×28, 16×16, 15×15 and 7×7 maps, 1.36× on 14×14) and a transformed kernel (36·C·F floats, 4× the kernel) of
    /// at most 2^22 floats. Forward passes measured (bench --winograd --inference 1, 2 threads, Zen 5): ResNet-18's
    /// 56×56×64 and 28×28×128 layers 1.48× and 1.30× faster at batch 1, 1.55× and 1.44× at 16; airbench94's
    /// 15×15 layers 1.54× and 1.34× and its 7×7×256 layer 1.31× at batch 256; the 14×14×256 layer only 1.00–1.08×.
    /// </summary>
    public static bool PrefersWinogradF4(in ConvGeometry g, int filters) =>
        PrefersWinograd(g, filters) && 36L * g.InChannels * filters <= 1 << 22
        && 16.0 * ((g.OutHeight + 1) / 2) * ((g.OutWidth + 1) / 2) / (36.0 * ((g.OutHeight + 3) / 4) * ((g.OutWidth + 3) / 4)) >= 1.5;

    /// <summary>
    /// Training's rule for F(4×4, 3×3) (under <see cref="WinogradUse.AlwaysF4"/> and <see cref="WinogradUse.AlwaysF4Forward"/>):
    /// <see cref="PrefersWinogradF4"/>'s.
    /// A training pass transforms the kernel (36·C·F floats) again every time, so the saving grows with the images
    /// per pass: a pass over 128 images on one thread (a shard of airbench94's batch of 1,024; bench --winograd
    /// --training-f4 1, Zen 5) measured 1.17–1.55× faster than F(2×2) on airbench94's 15×15 layers and 1.11–1.41×
    /// on its 7×7×256 ones; over 32 images, 1.3–1.6× and 0.93–1.13×. Not on maps smaller than one 4×4 tile: on
    /// airbench94's 3×3×256 layer a pass ran 0.94× F(2×2)'s over 128 images and 0.57× over 32.
    /// </summary>
    public static bool PrefersWinogradF4Training(in ConvGeometry g, int filters) =>
        PrefersWinogradF4(g, filters) && g.OutHeight >= 4 && g.OutWidth >= 4;
}
