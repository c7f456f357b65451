namespace Fovea.Models;

/// <summary>
/// Views of each image whose predictions are averaged at test time (airbench's <c>tta_level</c>). Logits are
/// averaged when the model ends in a softmax, as the recipe does; otherwise its outputs.
/// </summary>
public enum TestTimeAugmentation
{
    /// <summary>The image as it is.</summary>
    None,

    /// <summary>The image and its mirror image, equally weighted.</summary>
    Mirror,

    /// <summary>
    /// Half the mirror pair, a quarter each the mirror pairs of the image shifted one pixel up-left and down-right
    /// (reflect padding): airbench94's level 2.
    /// </summary>
    MirrorTranslate,
}
